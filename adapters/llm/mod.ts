/**
 * Builds the configured LLM client (`LLM_PROVIDER`, `LLM_MODEL`, the provider's
 * key). Only `main.ts` and tests need this; the core sees the `LlmClient` port.
 *
 * @module
 */
import { type LlmClient, LlmError, type LlmProvider } from "../../domain/ports/llm.ts";
import { AnthropicLlmClient } from "./anthropic.ts";
import { OpenAiLlmClient } from "./openai.ts";
import type { LlmAdapterOptions } from "./options.ts";

export { AnthropicLlmClient } from "./anthropic.ts";
export { OpenAiLlmClient } from "./openai.ts";
export type { LlmAdapterOptions } from "./options.ts";

/** Configuration of {@link createLlmClient}. */
export interface LlmConfig extends Omit<LlmAdapterOptions, "apiKey"> {
  provider: LlmProvider;
  /** `ANTHROPIC_API_KEY`; required when `provider` is `anthropic`. */
  anthropicApiKey?: string;
  /** `OPENAI_API_KEY`; required when `provider` is `openai`. */
  openaiApiKey?: string;
}

/**
 * The client of the configured provider. A missing key or model is a
 * permanent {@link LlmError} naming the setting to fix.
 */
export function createLlmClient(config: LlmConfig): LlmClient {
  const { provider, anthropicApiKey, openaiApiKey, ...rest } = config;
  if (!rest.model?.trim()) {
    throw new LlmError({ kind: "permanent", provider, message: "LLM_MODEL is not set" });
  }
  switch (provider) {
    case "anthropic":
      return new AnthropicLlmClient({ ...rest, apiKey: requireKey(provider, anthropicApiKey) });
    case "openai":
      return new OpenAiLlmClient({ ...rest, apiKey: requireKey(provider, openaiApiKey) });
    default:
      throw new LlmError({
        kind: "permanent",
        message: `LLM_PROVIDER must be "anthropic" or "openai", not ${JSON.stringify(provider)}`,
      });
  }
}

function requireKey(provider: LlmProvider, key: string | undefined): string {
  if (key?.trim()) return key.trim();
  const name = provider === "anthropic" ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY";
  throw new LlmError({
    kind: "permanent",
    provider,
    message: `${name} is not set (LLM_PROVIDER is ${provider})`,
  });
}
