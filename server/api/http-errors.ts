/**
 * Errors the API maps to HTTP statuses. Services throw these; the HTTP layer turns them into
 * `{ message, errors? }` bodies with the matching status — one catalogue, so codes stay consistent.
 */
export class ApiProblem extends Error {
  constructor(readonly status: number, message: string, readonly errors?: { path: string; message: string }[]) {
    super(message);
    this.name = 'ApiProblem';
  }
}

export const badRequest = (message: string, errors?: { path: string; message: string }[]) => new ApiProblem(400, message, errors);
export const unauthorized = (message: string) => new ApiProblem(401, message);
export const notFound = (message: string) => new ApiProblem(404, message);
export const conflict = (message: string) => new ApiProblem(409, message);
export const unavailable = (message: string) => new ApiProblem(503, message);
