/** core/domain: plain types and pure functions; imports nothing else of Berth but the error catalogue (lib/errors). */
export * from './errors';
export * from './quantity';
export * from './pool-key';
export * from './capacity';
export * from './node-ledger-state';
export * from './node';
export * from './task';
export * from './reservation';
export * from './holder-ids';
export * from './stop-policy';
export * from './user-ref';
export * from './health-check';
export * from './host-ports';
export * from './endpoints';
