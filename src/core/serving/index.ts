/** Serving: ONNX models through onnxruntime-node, the Open Inference Protocol v2 server, the inference table. */
export { describeModel, openModel, runModel, resolveModel, readSidecar, onnxruntime, ModelError, MODEL_NAME_RE } from './model';
export type { ModelDescription, ModelSidecar, OnnxSession, RunResult, ResolvedModel, ModelResolver, SessionOptions } from './model';
export type { OnnxModelMetadata, OnnxOpset } from './onnxProto';
export { V2_DATATYPE, ELEMENT_TYPE, v2Shape } from './tensors';
export type { ElementType, HostTensor, TensorData, TensorInfo, V2Datatype } from './tensors';
export { ServingError, checkInferRequest, checkTensor, parseJsonBody, v2ModelMetadata, v2Outputs, isBatchable, featureNames } from './protocol';
export type { CheckedRequest, ModelSignature, V2InferRequest, V2InferResponse, V2Tensor } from './protocol';
export { MicroBatcher } from './batcher';
export type { BatchOptions } from './batcher';
export { InferenceLog, INFERENCE_LOG_DEFAULTS, CURRENT_FILE, inferenceLogFiles, readInferenceLog, recordLines, rotatedFiles } from './inferenceLog';
export type { InferenceLogOptions, InferenceRecord } from './inferenceLog';
export { ServingMetrics, PROMETHEUS_CONTENT_TYPE } from './metrics';
export { ServingServer, SERVING_DEFAULTS } from './server';
export type { Enricher, EnrichContext, ServingOptions, ServingEndpoint, ServedModel } from './server';
export { sampleInferRequest, type RowReader } from './sample';
