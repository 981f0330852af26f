/** Credentials for the tracking server. They go into the Authorization header and nowhere else. */

export type Credentials =
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string };

/** Asked before every request, so a credential changed in the editor applies at once. */
export type CredentialsProvider = () => Credentials | undefined | Promise<Credentials | undefined>;

/** What MLflow's own client reads: MLFLOW_TRACKING_TOKEN, else MLFLOW_TRACKING_USERNAME + MLFLOW_TRACKING_PASSWORD. */
export function credentialsFromEnv(env: Readonly<Record<string, string | undefined>>): Credentials | undefined {
  const token = env.MLFLOW_TRACKING_TOKEN;
  if (token) return { kind: 'bearer', token };
  const username = env.MLFLOW_TRACKING_USERNAME;
  const password = env.MLFLOW_TRACKING_PASSWORD;
  if (username && password !== undefined) return { kind: 'basic', username, password };
  return undefined;
}

export function authorizationHeader(c: Credentials): string {
  return c.kind === 'bearer' ? `Bearer ${c.token}` : `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}
