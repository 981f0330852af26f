/** What makes a Python file a training script worth a "Run" lens, and where the lens goes. */
export interface TrainingScriptInfo {
  /** zero-based line for the lens: the `__main__` guard, else the first line */
  readonly line: number;
  readonly reason: 'training.script' | 'mlflow.start_run' | '__main__';
}

const MAIN_GUARD = /^if\s+__name__\s*==\s*(['"])__main__\1\s*:/m;
const START_RUN = /\bmlflow\.start_run\s*\(/;

export function detectTrainingScript(text: string, isPipelineScript: boolean): TrainingScriptInfo | undefined {
  const main = MAIN_GUARD.exec(text);
  const line = main ? text.slice(0, main.index).split('\n').length - 1 : 0;
  if (isPipelineScript) return { line, reason: 'training.script' };
  if (START_RUN.test(text)) return { line, reason: 'mlflow.start_run' };
  if (main) return { line, reason: '__main__' };
  return undefined;
}
