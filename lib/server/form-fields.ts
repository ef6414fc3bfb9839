import type { MultipartForm } from './multipart.js';
import { HttpError } from './http-errors.js';

/** A field's last value (a repeated option takes its last value, as on a command line); blank reads as absent. */
function lastField(form: MultipartForm, name: string): string | undefined {
  const raw = form.fields.get(name)?.at(-1);
  return raw === undefined || raw.trim() === '' ? undefined : raw;
}

/** A numeric form field; range checks are left to the library so the messages match its API. */
export function numberField(form: MultipartForm, name: string): number | undefined {
  const raw = lastField(form, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new HttpError(400, 'E_INVALID_OPTION', `${name} must be a number, got ${JSON.stringify(raw)}`);
  return n;
}

/** A yes/no form field: 1 or true, 0 or false. */
export function booleanField(form: MultipartForm, name: string): boolean | undefined {
  const raw = lastField(form, name);
  if (raw === undefined) return undefined;
  const value = raw.trim().toLowerCase();
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new HttpError(400, 'E_INVALID_OPTION', `${name} must be 1, true, 0 or false, got ${JSON.stringify(raw)}`);
}

/**
 * A JSON form field, parsed but not yet checked: its shape is the library's to judge. A parse
 * failure is reported with `code` (the code of the thing the field is part of) and an example.
 */
export function jsonField(form: MultipartForm, name: string, code: string, example: string): unknown {
  const raw = lastField(form, name);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new HttpError(400, code, `${name} must be JSON such as ${example}, got ${JSON.stringify(raw)} (${(error as Error).message})`);
  }
}
