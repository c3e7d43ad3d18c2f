// kie.ai's File Upload API: the three upload operations, on their own server (the document's `servers` of those
// operations), each checked against the document before anything is sent. Read from the document: the most bytes
// (`x-kling-max-bytes` on UploadFileStream's `file`), the media types (its `encoding.file.contentType`) and the text
// fields' schemas. A file's media type is judged from its first bytes, never its name.
import fs from 'node:fs';
import yaml from 'js-yaml';
import type { Client } from 'openapi-fetch';
import type { paths } from '../generated/kling.js';
import { KlingApiError } from './errors.js';
import { specPath, ValidationError } from './validation.js';

type Schema = { $ref?: string; properties?: Record<string, Schema>; required?: string[]; pattern?: string; minLength?: number; maxLength?: number; 'x-kling-max-bytes'?: number };
type Media = { schema: Schema; encoding?: Record<string, { contentType?: string }> };
type Operation = { operationId?: string; requestBody?: { content: Record<string, Media> }; servers?: { url: string }[] };
const spec = yaml.load(fs.readFileSync(specPath, 'utf8')) as { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, Schema> } };
const resolve = (schema: Schema): Schema => (schema.$ref ? resolve(spec.components.schemas[schema.$ref.split('/').pop()!]!) : schema);

function operation(id: string): { operation: Operation; servers?: { url: string }[] } {
  for (const item of Object.values(spec.paths)) {
    for (const value of Object.values(item)) {
      const op = value as Operation;
      if (typeof value === 'object' && value !== null && op.operationId === id) return { operation: op, servers: op.servers ?? (item.servers as { url: string }[] | undefined) };
    }
  }
  throw new Error(`The document has no operation ${id}.`);
}

const bodyOf = (id: string): Media => Object.values(operation(id).operation.requestBody!.content)[0]!;
const stream = bodyOf('UploadFileStream');
export const maxBytes: number = resolve(resolve(stream.schema).properties!.file!)['x-kling-max-bytes']!;
export const mediaTypes: string[] = stream.encoding!.file!.contentType!.split(',').map((t) => t.trim()).filter(Boolean);
export const uploadServer: string = operation('UploadFileStream').servers![0]!.url;
const signatures: Record<string, number[]> = { 'image/jpeg': [0xff, 0xd8, 0xff], 'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] };

/** The media type of a file from its first bytes, when the document allows it. */
export const mediaTypeOf = (bytes: Uint8Array): string | undefined => mediaTypes.find((t) => signatures[t]?.every((b, i) => bytes[i] === b));

function checkFields(id: string, fields: Record<string, string | undefined>): void {
  const schema = resolve(bodyOf(id).schema);
  const problems: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) {
      if (schema.required?.includes(name)) problems.push(`${name} is required.`);
      continue;
    }
    const field = resolve(schema.properties![name]!);
    if (value.length < (field.minLength ?? 0) || value.length > (field.maxLength ?? Infinity)) problems.push(`${name} must be ${field.minLength ?? 0} to ${field.maxLength} characters long.`);
    if (field.pattern && !new RegExp(field.pattern).test(value)) problems.push(`${name} must match its pattern ${field.pattern}.`);
  }
  if (problems.length > 0) throw new ValidationError(problems);
}

function checkFile(bytes: Uint8Array, fileName: string): string {
  if (bytes.length > maxBytes) throw new ValidationError([`${fileName} is ${bytes.length} bytes, more than the ${maxBytes} bytes the document allows (x-kling-max-bytes).`]);
  return mediaTypeOf(bytes) ?? (() => { throw new ValidationError([`${fileName} is not ${mediaTypes.join(' or ')} (judged from its first bytes).`]); })();
}

export interface UploadedFile { fileUrl: string; expiresAt?: string; fileId?: string; fileName?: string; downloadUrl?: string }

/** The stored file of a success answer: a fileUrl that is not an absolute http(s) URL cannot be passed on. */
function stored(data: { fileUrl?: string } | null | undefined): UploadedFile {
  if (!data?.fileUrl || !/^[Hh][Tt][Tt][Pp][Ss]?:\/\/[^\s/?#]+([/?#]\S*)?$/.test(data.fileUrl)) {
    throw new KlingApiError('Unknown', 200, 200, undefined, undefined, 'The upload answered success but no usable fileUrl.');
  }
  return data as UploadedFile;
}

export function uploadCalls(http: Client<paths>, uploadBaseUrl: string) {
  const baseUrl = uploadBaseUrl.replace(/\/+$/, '');
  return {
    /** UploadFileStream: the bytes as a multipart form. */
    async uploadFile(bytes: Uint8Array, fileName: string, uploadPath: string): Promise<UploadedFile> {
      checkFields('UploadFileStream', { uploadPath, fileName });
      const type = checkFile(bytes, fileName);
      const form = new FormData();
      form.append('file', new Blob([Uint8Array.from(bytes)], { type }), fileName);
      form.append('uploadPath', uploadPath);
      form.append('fileName', fileName);
      const { data } = await http.POST('/api/file-stream-upload', { baseUrl, body: { file: '', uploadPath, fileName }, bodySerializer: () => form });
      return stored(data?.data);
    },
    /** UploadFileBase64: the bytes as a data URL in JSON. */
    async uploadFileBase64(bytes: Uint8Array, fileName: string, uploadPath: string): Promise<UploadedFile> {
      checkFields('UploadFileBase64', { uploadPath, fileName });
      const type = checkFile(bytes, fileName);
      const base64Data = `data:${type};base64,${Buffer.from(bytes).toString('base64')}`;
      const { data } = await http.POST('/api/file-base64-upload', { baseUrl, body: { base64Data, uploadPath, fileName } });
      return stored(data?.data);
    },
    /** UploadFileFromUrl: the service fetches the URL (this port never does). */
    async uploadFileFromUrl(fileUrl: string, uploadPath: string, fileName?: string): Promise<UploadedFile> {
      checkFields('UploadFileFromUrl', { fileUrl, uploadPath, fileName });
      const { data } = await http.POST('/api/file-url-upload', { baseUrl, body: fileName === undefined ? { fileUrl, uploadPath } : { fileUrl, uploadPath, fileName } });
      return stored(data?.data);
    },
  };
}
