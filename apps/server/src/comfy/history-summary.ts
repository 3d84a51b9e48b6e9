import type { ComfyHistoryEntry } from '@comfy-gateway/comfy-core';
import { imagesOf, statusFromHistory } from '@comfy-gateway/comfy-core';
import type { HistoryItem, HistorySummary, JobSnapshot } from '@comfy-gateway/schema';

/**
 * The seed's sanitized history: outputs, status and the executed graph. `extra_data` (client ids,
 * API keys, PNG info) never leaves the server.
 */
export function summarizeHistory(promptId: string, entry: ComfyHistoryEntry): HistorySummary {
  const { status } = statusFromHistory(entry);
  const items: HistoryItem[] = [];
  for (const [nodeId, output] of Object.entries(entry.outputs)) {
    const classType = entry.prompt.prompt[nodeId]?.class_type;
    for (const [kind, value] of Object.entries(output ?? {})) {
      items.push({ node_id: nodeId, ...(classType ? { class_type: classType } : {}), kind, value });
    }
  }
  return {
    prompt_id: promptId,
    status,
    progress: 100,
    images: Object.values(entry.outputs).flatMap((o) => imagesOf(o)),
    items,
    workflow: entry.prompt.prompt,
    messages: entry.status.messages.map(([event, data]) => ({
      event,
      ...(typeof data?.['timestamp'] === 'number' ? { timestamp: data['timestamp'] } : {}),
    })),
  };
}

/** History of a prompt that has not finished yet: what the tracker knows, no items. */
export function pendingHistory(snapshot: JobSnapshot): HistorySummary {
  return {
    prompt_id: snapshot.prompt_id,
    status: snapshot.status,
    progress: snapshot.progress?.percent ?? 0,
    images: snapshot.images ?? [],
    items: [],
  };
}
