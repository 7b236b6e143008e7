/**
 * Berth's error catalogue: one base error with a stable code, and one table per edge. The gRPC
 * table is imported from './grpc-status' by the components that speak gRPC (it loads grpc-js).
 */
export * from './codes';
export * from './berth-error';
export * from './constructors';
export * from './http-status';
export * from './exit-codes';
