/**
 * Live progress of a working run without a reload: the run page carries a
 * tiny inline script (allowed by its sha256 in the Content-Security-Policy,
 * like the stylesheet) that polls `GET /runs/:runId/progress.json` and updates
 * the cells marked `data-live`. It reads only our own JSON and writes only
 * `textContent`, so ticket text can never become markup. Without JavaScript
 * the page still shows the progress as of its rendering.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { RunDoc } from "../../../projections/runs.ts";
import { formatCount, formatDuration, formatUsd } from "./format.ts";

/** The JSON the live view polls. */
export interface ProgressJson {
  runId: string;
  status: string;
  /** True once the run has ended: polling stops. */
  finished: boolean;
  turns: string;
  toolCalls: string;
  tokens: string;
  cost: string;
  work: string;
  /** When the worker last reported (ISO), or null. */
  reportedAt: string | null;
}

/** A run's progress as text for the page and the JSON. */
export function progressJson(run: RunDoc, now: Date): ProgressJson {
  const p = run.progress ?? null;
  const tokens = p
    ? { input: p.inputTokens, output: p.outputTokens }
    : { input: run.tokens.input, output: run.tokens.output };
  const since = run.claimedAt ? now.getTime() - Date.parse(run.claimedAt) : null;
  const finished = ["succeeded", "failed", "cancelled"].includes(run.status);
  return {
    runId: run.runId,
    status: run.status,
    finished,
    turns: p ? formatCount(p.turns) : "—",
    toolCalls: p ? formatCount(p.toolCalls) : "—",
    tokens: `${formatCount(tokens.input)} in + ${formatCount(tokens.output)} out`,
    cost: p?.costUsd !== undefined ? `~${formatUsd(p.costUsd)}` : "—",
    work: finished
      ? formatDuration(run.workMs ?? run.durationMs)
      : since !== null && Number.isFinite(since)
      ? `${formatDuration(Math.max(0, since))} so far`
      : "not started",
    reportedAt: p?.at ?? null,
  };
}

/** The polling script (no inputs interpolated: the URL comes from a data attribute). */
export const LIVE_SCRIPT = `(function(){
var box=document.getElementById("live-progress");if(!box)return;
var url=box.getAttribute("data-src");var stop=false;
function put(name,value){var el=box.querySelector('[data-live="'+name+'"]');if(el)el.textContent=String(value);}
function tick(){if(stop)return;fetch(url,{credentials:"same-origin",headers:{accept:"application/json"}})
.then(function(r){return r.ok?r.json():null}).then(function(p){if(!p)return;
put("status",p.status);put("turns",p.turns);put("toolCalls",p.toolCalls);put("tokens",p.tokens);
put("cost",p.cost);put("work",p.work);put("reportedAt",p.reportedAt||"—");
box.setAttribute("data-updates",String(Number(box.getAttribute("data-updates")||"0")+1));
if(p.finished){stop=true;box.setAttribute("data-finished","true");}})
.catch(function(){}).then(function(){if(!stop)setTimeout(tick,2000);});}
tick();})();`;

/** The CSP source of {@link LIVE_SCRIPT}. */
export const LIVE_SCRIPT_SOURCE = `'sha256-${
  createHash("sha256").update(LIVE_SCRIPT).digest("base64")
}'`;
