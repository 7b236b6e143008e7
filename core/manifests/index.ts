/** core/manifests: YAML/JSON → validated, typed manifests (App, StorageClass, Plugin, Secret). Pure: no I/O. */
export * from './types';
export { ManifestError, UnresolvedReferenceError, formatIssue, issueDetails } from './errors';
export type { ManifestIssue } from './errors';
export { parseManifests, parseManifestsSafe, validateManifests, objectKey } from './parse';
export type { ParseOutcome } from './parse';
export { checkReferences, assertReferences } from './references';
export type { ReferenceLookup } from './references';
export { toDocument, appSpecDocument, formatExactBytes, formatDuration } from './render';
export type { ManifestDocument } from './render';
export { SecretData, REDACTED } from './secret-data';
export { DNS_LABEL, CSI_DRIVER_NAME, dnsLabelProblem, csiDriverNameProblem } from './names';
export { classPool, matchingPools } from './pools';
export { resolveDefaultStorageClass } from './default-class';
export { DEFAULT_CPU_MILLIS, DEFAULT_MEMORY_BYTES } from './app-schema';
export { cronProblem, parseDurationSeconds } from './fields';
export * from './limits';
export { manifestTooLarge } from './source';
export { envNameProblem } from './app-schema';
