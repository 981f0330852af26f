/** The drift engine: reference vs current data, Evidently's default tests, SciPy's numbers. */
export { computeDrift } from './compute';
export { monitoringSettingsFromPipelineText, type MonitoringSettings } from './settings';
export { toJson, formatText, type DriftJson } from './report';
export { renderHtml } from './html';
export * from './types';
