/**
 * A ticket's attachments for the model: images by their header (not their
 * declared type) within the providers' limits, text bounded, the rest listed.
 */
import assert from "node:assert/strict";
import {
  classifyAttachment,
  DEFAULT_ATTACHMENT_LIMITS,
  type DownloadAttachment,
  prepareAttachments,
  sniffImage,
} from "../../domain/attachments.ts";
import type { JiraAttachment } from "../../domain/ports/jira.ts";

function png(width: number, height: number, extra = 0): Uint8Array {
  const b = new Uint8Array(33 + extra);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], 0);
  b.set([0x49, 0x48, 0x44, 0x52], 12);
  new DataView(b.buffer).setUint32(16, width);
  new DataView(b.buffer).setUint32(20, height);
  return b;
}

function gif(width: number, height: number): Uint8Array {
  const b = new Uint8Array(13);
  b.set(new TextEncoder().encode("GIF89a"), 0);
  new DataView(b.buffer).setUint16(6, width, true);
  new DataView(b.buffer).setUint16(8, height, true);
  return b;
}

function jpeg(width: number, height: number): Uint8Array {
  // SOI, an APP0 segment of 16 bytes, then SOF0 with height and width.
  const app0 = [0xff, 0xe0, 0x00, 0x10, ...new Array(14).fill(0)];
  const sof = [0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 255, width >> 8, width & 255, 3];
  return Uint8Array.from([0xff, 0xd8, ...app0, ...sof, ...new Array(12).fill(0)]);
}

function webpX(width: number, height: number): Uint8Array {
  const b = new Uint8Array(30);
  b.set(new TextEncoder().encode("RIFF"), 0);
  b.set(new TextEncoder().encode("WEBPVP8X"), 8);
  const w = width - 1, h = height - 1;
  b.set([w & 255, (w >> 8) & 255, (w >> 16) & 255, h & 255, (h >> 8) & 255, (h >> 16) & 255], 24);
  return b;
}

function webpLossless(width: number, height: number): Uint8Array {
  const b = new Uint8Array(30);
  b.set(new TextEncoder().encode("RIFF"), 0);
  b.set(new TextEncoder().encode("WEBPVP8L"), 8);
  const w = width - 1, h = height - 1;
  b[20] = 0x2f;
  b[21] = w & 0xff;
  b[22] = ((w >> 8) & 0x3f) | ((h & 0x3) << 6);
  b[23] = (h >> 2) & 0xff;
  b[24] = (h >> 10) & 0x0f;
  return b;
}

Deno.test("attachments: declared type and name give the kind", () => {
  const kind = (filename: string, mimeType: string) => classifyAttachment({ filename, mimeType });
  assert.equal(kind("a.png", "image/png"), "image");
  assert.equal(kind("a.JPG", "application/octet-stream"), "image");
  assert.equal(kind("x.log", "text/plain; charset=utf-8"), "text");
  assert.equal(kind("data.json", "application/json"), "text");
  assert.equal(kind("trace.log", "application/octet-stream"), "text");
  assert.equal(kind("rows.csv", "text/csv"), "text");
  assert.equal(kind("logo.svg", "image/svg+xml"), "other");
  assert.equal(kind("dump.zip", "application/zip"), "other");
  assert.equal(kind("spec.pdf", "application/pdf"), "other");
});

Deno.test("attachments: an image's format and size come from its header", () => {
  assert.deepEqual(sniffImage(png(640, 480)), { mediaType: "image/png", width: 640, height: 480 });
  assert.deepEqual(sniffImage(gif(16, 9)), { mediaType: "image/gif", width: 16, height: 9 });
  assert.deepEqual(sniffImage(jpeg(1920, 1080)), {
    mediaType: "image/jpeg",
    width: 1920,
    height: 1080,
  });
  assert.deepEqual(sniffImage(webpX(3000, 2000)), {
    mediaType: "image/webp",
    width: 3000,
    height: 2000,
  });
  assert.deepEqual(sniffImage(webpLossless(1234, 567)), {
    mediaType: "image/webp",
    width: 1234,
    height: 567,
  });
  assert.equal(sniffImage(new TextEncoder().encode("<script>alert(1)</script>")), null);
  assert.equal(sniffImage(new Uint8Array(0)), null);
});

function attachment(id: string, filename: string, mimeType: string, size: number): JiraAttachment {
  return { id, filename, mimeType, size, created: "2026-01-01T00:00:00.000Z", author: null };
}

function store(files: Record<string, Uint8Array | Error>): {
  download: DownloadAttachment;
  asked: string[];
} {
  const asked: string[] = [];
  return {
    asked,
    download: (id, maxBytes) => {
      asked.push(id);
      const file = files[id];
      if (file instanceof Error) return Promise.reject(file);
      return Promise.resolve({
        bytes: file.subarray(0, maxBytes),
        mimeType: "application/octet-stream",
        truncated: file.length > maxBytes,
      });
    },
  };
}

Deno.test("attachments: images, text and the rest, each within its limits", async () => {
  const log = new TextEncoder().encode("ERROR something\n".repeat(4000)); // 64 000 bytes
  const files = {
    "1": png(800, 600, 100),
    "2": png(9000, 100),
    "3": new TextEncoder().encode("<html><script>x</script></html>"),
    "4": log,
    "5": Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 1]),
    "6": Uint8Array.from([104, 105, 0, 1, 2]),
    "7": new Error("HTTP 404"),
    "8": jpeg(100, 100),
    "9": png(10, 10),
  };
  const { download, asked } = store(files);
  const prepared = await prepareAttachments([
    attachment("1", "screen.png", "image/png", files["1"].length),
    attachment("2", "wide.png", "image/png", files["2"].length),
    attachment("3", "fake.png", "image/png", files["3"].length),
    attachment("4", "server.log", "text/plain", log.length),
    attachment("5", "dump.zip", "application/zip", 7),
    attachment("6", "notes.txt", "text/plain", 5),
    attachment("7", "gone.png", "image/png", 10),
    attachment("8", "photo.png", "image/png", files["8"].length), // a JPEG named .png
    attachment("9", "huge.png", "image/png", DEFAULT_ATTACHMENT_LIMITS.maxImageBytes + 1),
    attachment("10", "bad\u0007name\n.txt", "application/pdf", 3),
  ], download);

  assert.deepEqual(prepared.images.map((i) => [i.filename, i.mediaType, i.width, i.height]), [
    ["screen.png", "image/png", 800, 600],
    ["photo.png", "image/jpeg", 100, 100],
  ]);
  assert.deepEqual(
    Uint8Array.from(atob(prepared.images[0].base64), (c) => c.charCodeAt(0)),
    files["1"],
  );
  assert.equal(prepared.texts.length, 1);
  assert.equal(prepared.texts[0].filename, "server.log");
  assert.equal(prepared.texts[0].truncated, true);
  assert.equal(new TextEncoder().encode(prepared.texts[0].text).length, 32 * 1024);
  const reasons = Object.fromEntries(prepared.listed.map((l) => [l.filename, l.reason]));
  assert.match(reasons["wide.png"], /9000×100 px, over 8000 px/);
  assert.match(reasons["fake.png"], /not a PNG, JPEG, GIF or WebP/);
  assert.equal(reasons["dump.zip"], "not an image or text");
  assert.match(reasons["notes.txt"], /binary/);
  assert.match(reasons["gone.png"], /download failed \(HTTP 404\)/);
  assert.match(reasons["huge.png"], /over the 5\.0 MB limit/);
  assert.equal(reasons["bad name .txt"], "not an image or text");
  // An image over the size limit is never downloaded.
  assert.ok(!asked.includes("9"));
  assert.ok(prepared.notes.some((n) => n.includes('"server.log"') && n.includes("cut")));
  assert.ok(prepared.notes.every((n) => !n.includes("\n")));
});

Deno.test("attachments: the counts and totals cap what is downloaded", async () => {
  const files: Record<string, Uint8Array> = {};
  const list: JiraAttachment[] = [];
  for (let i = 0; i < 25; i++) {
    files[String(i)] = png(10, 10);
    list.push(attachment(String(i), `s${i}.png`, "image/png", files[String(i)].length));
  }
  const { download, asked } = store(files);
  const prepared = await prepareAttachments(list, download, {
    ...DEFAULT_ATTACHMENT_LIMITS,
    maxListed: 3,
  });
  assert.equal(prepared.images.length, 20);
  assert.equal(asked.length, 20);
  assert.equal(prepared.listed.length, 3);
  assert.ok(prepared.notes.some((n) => n === "2 more attachment(s) are not listed."));
});
