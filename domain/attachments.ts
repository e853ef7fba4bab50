/**
 * A ticket's attachments for the model: which go in as images, which as
 * bounded text, and which are only listed (name, type, size).
 *
 * Limits (API-NOTES §8): Anthropic takes PNG, JPEG, GIF and WebP up to
 * 8000×8000 px (2000 px when a request holds more than 20 images), at most
 * 10 MB each and 32 MB per request; OpenAI's `input_image` takes the same
 * formats with far larger request limits (50 MB measured). The defaults below
 * fit both with room for the rest of the conversation: at most 20 images,
 * 5 MB and 8000 px a side each, 20 MB of images in all. Nothing is scaled
 * here (the domain has no image codec): an image over a limit is listed with
 * a note saying why.
 *
 * Everything about an attachment is untrusted: the filename is shown, never
 * used as a path; the declared MIME type is checked against the bytes (an
 * image's format is read from its header, and a provider refuses a mismatch);
 * text must decode as UTF-8 without NUL bytes.
 *
 * Pure apart from the injected download function.
 *
 * @module
 */
import type { JiraAttachment, JiraAttachmentContent } from "./ports/jira.ts";

/** The image formats both providers accept. */
export type ImageMediaType = "image/png" | "image/jpeg" | "image/gif" | "image/webp";

/** How much of the ticket's attachments reaches the model. */
export interface AttachmentLimits {
  /** Most images given to the model. */
  maxImages: number;
  /** Largest image file, bytes. */
  maxImageBytes: number;
  /** Longest image side, pixels. */
  maxImageSide: number;
  /** All images together, bytes (before base64). */
  maxTotalImageBytes: number;
  /** Most bytes of one text attachment shown (the rest is cut, with a note). */
  maxTextBytes: number;
  /** Most text attachments shown. */
  maxTexts: number;
  /** All text attachments together, bytes. */
  maxTotalTextBytes: number;
  /** Most attachments listed by name (the rest are counted). */
  maxListed: number;
}

/** Limits that fit both providers (see the module doc). */
export const DEFAULT_ATTACHMENT_LIMITS: AttachmentLimits = {
  maxImages: 20,
  maxImageBytes: 5 * 1024 * 1024,
  maxImageSide: 8000,
  maxTotalImageBytes: 20 * 1024 * 1024,
  maxTextBytes: 32 * 1024,
  maxTexts: 10,
  maxTotalTextBytes: 128 * 1024,
  maxListed: 50,
};

/** What an attachment looks like from its metadata alone. */
export type AttachmentKind = "image" | "text" | "other";

/** An image for the model. */
export interface PromptImage {
  mediaType: ImageMediaType;
  /** The file, base64 (no data: prefix). */
  base64: string;
  filename: string;
  width: number;
  height: number;
  /** Size of the file in bytes. */
  bytes: number;
}

/** A text attachment for the model (to be fenced as untrusted). */
export interface PromptText {
  filename: string;
  text: string;
  /** True when only the first `maxTextBytes` are shown. */
  truncated: boolean;
}

/** An attachment the model is only told about. */
export interface ListedAttachment {
  filename: string;
  mimeType: string;
  size: number;
  /** Why it is not shown, e.g. `not an image or text`, `image over 8000 px`. */
  reason: string;
}

/** The ticket's attachments, ready for the prompt. */
export interface PreparedAttachments {
  images: PromptImage[];
  texts: PromptText[];
  listed: ListedAttachment[];
  /** Sentences for the model (and the audit) about what was left out and why. */
  notes: string[];
}

/** Downloads at most `maxBytes` of an attachment (`JiraClient.attachmentContent`). */
export type DownloadAttachment = (id: string, maxBytes: number) => Promise<JiraAttachmentContent>;

const IMAGE_TYPES: Record<string, ImageMediaType> = {
  "image/png": "image/png",
  "image/jpeg": "image/jpeg",
  "image/jpg": "image/jpeg",
  "image/pjpeg": "image/jpeg",
  "image/gif": "image/gif",
  "image/webp": "image/webp",
};
const IMAGE_EXTENSIONS = new Set(["png", "jpg", "jpeg", "gif", "webp"]);

const TEXT_TYPES = new Set([
  "application/json",
  "application/x-ndjson",
  "application/xml",
  "application/yaml",
  "application/x-yaml",
  "application/csv",
  "application/x-log",
  "application/sql",
  "application/javascript",
  "application/x-sh",
]);
const TEXT_EXTENSIONS = new Set([
  "txt",
  "log",
  "md",
  "markdown",
  "csv",
  "tsv",
  "json",
  "ndjson",
  "jsonl",
  "yaml",
  "yml",
  "xml",
  "html",
  "htm",
  "ini",
  "toml",
  "conf",
  "cfg",
  "properties",
  "sql",
  "diff",
  "patch",
  "har",
  "ts",
  "js",
  "py",
  "java",
  "go",
  "rb",
  "sh",
  "css",
  "out",
  "err",
  "trace",
]);

function extension(filename: string): string {
  const dot = filename.lastIndexOf(".");
  return dot < 0 ? "" : filename.slice(dot + 1).toLowerCase();
}

function baseType(mimeType: string): string {
  return mimeType.split(";")[0].trim().toLowerCase();
}

/** A filename fit to show: no control characters, at most 200 characters. */
export function displayName(filename: string): string {
  // deno-lint-ignore no-control-regex
  const clean = filename.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, " ").trim();
  return (clean || "(unnamed)").slice(0, 200);
}

/** What an attachment is, judged by its declared type and name (the bytes are checked later). */
export function classifyAttachment(
  attachment: Pick<JiraAttachment, "filename" | "mimeType">,
): AttachmentKind {
  const type = baseType(attachment.mimeType);
  const ext = extension(attachment.filename);
  if (IMAGE_TYPES[type] || (type === "application/octet-stream" && IMAGE_EXTENSIONS.has(ext))) {
    return "image";
  }
  if (type === "image/svg+xml") return "other"; // markup that can carry script: not an image input
  if (type.startsWith("text/") || TEXT_TYPES.has(type) || type.endsWith("+json")) return "text";
  if (
    (type === "application/octet-stream" || type === "" || type === "binary/octet-stream") &&
    TEXT_EXTENSIONS.has(ext)
  ) return "text";
  return "other";
}

/** An image's format and size, read from its header; null when it is none of the four. */
export function sniffImage(
  bytes: Uint8Array,
): { mediaType: ImageMediaType; width: number; height: number } | null {
  const at = (i: number) => bytes[i] ?? 0;
  const u16be = (i: number) => (at(i) << 8) | at(i + 1);
  const u16le = (i: number) => at(i) | (at(i + 1) << 8);
  const u24le = (i: number) => at(i) | (at(i + 1) << 8) | (at(i + 2) << 16);
  const u32be = (i: number) =>
    ((at(i) << 24) >>> 0) + (at(i + 1) << 16) + (at(i + 2) << 8) + at(i + 3);
  const ascii = (i: number, n: number) => String.fromCharCode(...bytes.subarray(i, i + n));
  // PNG: signature, then IHDR with width and height.
  if (bytes.length >= 24 && ascii(1, 3) === "PNG" && at(0) === 0x89 && ascii(12, 4) === "IHDR") {
    return { mediaType: "image/png", width: u32be(16), height: u32be(20) };
  }
  if (bytes.length >= 10 && (ascii(0, 6) === "GIF87a" || ascii(0, 6) === "GIF89a")) {
    return { mediaType: "image/gif", width: u16le(6), height: u16le(8) };
  }
  if (bytes.length >= 30 && ascii(0, 4) === "RIFF" && ascii(8, 4) === "WEBP") {
    const chunk = ascii(12, 4);
    if (chunk === "VP8X") {
      return { mediaType: "image/webp", width: u24le(24) + 1, height: u24le(27) + 1 };
    }
    if (chunk === "VP8 ") {
      return { mediaType: "image/webp", width: u16le(26) & 0x3fff, height: u16le(28) & 0x3fff };
    }
    if (chunk === "VP8L") {
      const b = (i: number) => at(21 + i);
      const width = 1 + (((b(1) & 0x3f) << 8) | b(0));
      const height = 1 + (((b(3) & 0x0f) << 10) | (b(2) << 2) | ((b(1) & 0xc0) >> 6));
      return { mediaType: "image/webp", width, height };
    }
    return null;
  }
  // JPEG: walk the segments to a start-of-frame marker.
  if (at(0) === 0xff && at(1) === 0xd8) {
    let i = 2;
    while (i + 9 < bytes.length) {
      if (at(i) !== 0xff) return null;
      const marker = at(i + 1);
      if (marker === 0xff) {
        i++;
        continue;
      }
      const isFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
      if (isFrame) return { mediaType: "image/jpeg", width: u16be(i + 7), height: u16be(i + 5) };
      if (marker === 0xd9 || marker === 0xda) return null;
      i += 2 + u16be(i + 2);
    }
    return null;
  }
  return null;
}

/** Base64 of bytes, without building one huge argument list. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * UTF-8 text of bytes, or null when they are not text (invalid UTF-8, or a
 * NUL byte). `cut`: the bytes end mid-file, so an incomplete last character is dropped.
 */
export function decodeText(bytes: Uint8Array, cut: boolean): string | null {
  if (bytes.includes(0)) return null;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (let drop = 0; drop <= (cut ? 3 : 0); drop++) {
    try {
      return decoder.decode(bytes.subarray(0, bytes.length - drop));
    } catch { /* try a shorter end */ }
  }
  return null;
}

function kb(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MB`
    : `${Math.ceil(bytes / 1024)} KB`;
}

/**
 * Downloads and sorts a ticket's attachments for the prompt, within `limits`:
 * images (checked by their header, not their declared type) as base64, text
 * as bounded UTF-8, the rest listed. A download that fails is listed with the
 * reason; nothing here throws for an attachment.
 */
export async function prepareAttachments(
  attachments: readonly JiraAttachment[],
  download: DownloadAttachment,
  limits: AttachmentLimits = DEFAULT_ATTACHMENT_LIMITS,
): Promise<PreparedAttachments> {
  const out: PreparedAttachments = { images: [], texts: [], listed: [], notes: [] };
  let imageBytes = 0;
  let textBytes = 0;
  let unlisted = 0;
  const list = (a: JiraAttachment, reason: string) => {
    if (out.listed.length >= limits.maxListed) {
      unlisted++;
      return;
    }
    out.listed.push({
      filename: displayName(a.filename),
      mimeType: baseType(a.mimeType) || "application/octet-stream",
      size: a.size,
      reason,
    });
  };
  const skip = (a: JiraAttachment, reason: string) => {
    list(a, reason);
    out.notes.push(`Attachment "${displayName(a.filename)}" is not shown: ${reason}.`);
  };
  for (const a of attachments) {
    const kind = classifyAttachment(a);
    if (kind === "image") {
      if (out.images.length >= limits.maxImages) {
        skip(a, `more than ${limits.maxImages} images`);
        continue;
      }
      if (a.size > limits.maxImageBytes) {
        skip(a, `image of ${kb(a.size)}, over the ${kb(limits.maxImageBytes)} limit`);
        continue;
      }
      if (imageBytes + a.size > limits.maxTotalImageBytes) {
        skip(a, `images over ${kb(limits.maxTotalImageBytes)} in all`);
        continue;
      }
      let content: JiraAttachmentContent;
      try {
        content = await download(a.id, limits.maxImageBytes);
      } catch (error) {
        skip(a, `download failed (${errorText(error)})`);
        continue;
      }
      if (content.truncated) {
        skip(a, `image over the ${kb(limits.maxImageBytes)} limit`);
        continue;
      }
      const image = sniffImage(content.bytes);
      if (!image) {
        skip(a, `declared ${baseType(a.mimeType)} but is not a PNG, JPEG, GIF or WebP image`);
        continue;
      }
      if (image.width > limits.maxImageSide || image.height > limits.maxImageSide) {
        skip(
          a,
          `image of ${image.width}×${image.height} px, over ${limits.maxImageSide} px a side`,
        );
        continue;
      }
      if (image.width === 0 || image.height === 0) {
        skip(a, "image with no pixels");
        continue;
      }
      imageBytes += content.bytes.length;
      out.images.push({
        mediaType: image.mediaType,
        base64: toBase64(content.bytes),
        filename: displayName(a.filename),
        width: image.width,
        height: image.height,
        bytes: content.bytes.length,
      });
    } else if (kind === "text") {
      if (out.texts.length >= limits.maxTexts) {
        skip(a, `more than ${limits.maxTexts} text attachments`);
        continue;
      }
      const room = Math.min(limits.maxTextBytes, limits.maxTotalTextBytes - textBytes);
      if (room <= 0) {
        skip(a, `text attachments over ${kb(limits.maxTotalTextBytes)} in all`);
        continue;
      }
      let content: JiraAttachmentContent;
      try {
        content = await download(a.id, room);
      } catch (error) {
        skip(a, `download failed (${errorText(error)})`);
        continue;
      }
      const text = decodeText(content.bytes, content.truncated);
      if (text === null) {
        skip(a, "declared as text but is binary");
        continue;
      }
      textBytes += content.bytes.length;
      out.texts.push({ filename: displayName(a.filename), text, truncated: content.truncated });
      if (content.truncated) {
        out.notes.push(
          `Attachment "${displayName(a.filename)}" (${kb(a.size)}) is cut after its first ${
            kb(content.bytes.length)
          }.`,
        );
      }
    } else {
      list(a, "not an image or text");
    }
  }
  if (unlisted > 0) out.notes.push(`${unlisted} more attachment(s) are not listed.`);
  return out;
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, 200);
}
