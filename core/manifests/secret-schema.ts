/** Schema of `kind: Secret`: string values kept in a redacting SecretData. Errors never show the values. */
import { z } from 'zod';
import { SecretData } from './secret-data';

export const secretDataSchema = z.record(z.string().min(1), z.string()).transform((data) => new SecretData(data));
