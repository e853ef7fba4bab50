/**
 * The price table of a process: the built-in dated table (`domain/pricing.ts`)
 * with the entries of `LLM_PRICE_FILE` in front, for models and gateways the
 * built-in table does not know (or prices that changed since its date).
 *
 * The file: `{"date"?: "2026-12-05", "models": [{"model": "my-gateway-model",
 * "inputPerMTok": 1, "outputPerMTok": 4, "cacheWritePerMTok"?: 1.25,
 * "cacheReadPerMTok"?: 0.1, "contextWindow"?: 200000}]}`.
 *
 * @module
 */
import { type ModelPrice, PRICE_TABLE, withPriceOverrides } from "../../domain/pricing.ts";

/** The price table with the file's overrides; a missing or invalid file is an error naming it. */
export async function loadPriceTable(
  path: string | null,
  readTextFile: (path: string) => Promise<string> = Deno.readTextFile,
): Promise<ModelPrice[]> {
  if (!path) return [...PRICE_TABLE];
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (error) {
    throw new Error(`LLM_PRICE_FILE=${path} cannot be read (${(error as Error).name})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`LLM_PRICE_FILE=${path} is not JSON (${(error as Error).message})`);
  }
  try {
    return withPriceOverrides(json);
  } catch (error) {
    throw new Error(`LLM_PRICE_FILE=${path}: ${(error as Error).message}`);
  }
}
