/** The drift engine: reference vs current data, Evidently's default tests, SciPy's numbers. */
export { computeDrift } from './compute';
export { monitoringSettingsFromPipelineText, type MonitoringSettings } from './settings';
export { toJson, formatText, type DriftJson } from './report';
export { renderHtml } from './html';
export * from './types';
export { qualityOverTime, currentTimeColumns, QualityUnavailable, QUALITY_BUCKETS, type QualityBucket, type QualityOptions, type QualityPoint, type QualityReport, type QualityWindow, type TimeColumn } from './quality';
