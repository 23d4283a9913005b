// Signature fragments shared by plugins (framework.ts Signature): what of the pod and the time a
// plugin reads, as a short string. A plugin's signature joins the fragments for what it reads.

import type { PluginHandle, PodContext } from './framework.ts';
import type { Level } from './profile.ts';

/** The pod's requests. */
export const requestsSig = (ctx: PodContext): string => `${ctx.pod.requests.cpu}/${ctx.pod.requests.memory}`;

/** The usage the pod is expected to add (its requests, or the estimate for what it leaves empty). */
export const estimateSig = (ctx: PodContext): string => `${ctx.estimate.cpu}/${ctx.estimate.memory}`;

/** A level's figures and its capacity model (by the engine's id for the model object). */
export function levelSig(handle: PluginHandle, l: Level): string {
  return `${l.batchShare}/${l.onlineHeadroom}/${handle.idOf(l.model)}`;
}
