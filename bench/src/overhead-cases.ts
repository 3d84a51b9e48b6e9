import type { LoadRequest } from './load.ts';
import { trpcInput } from './stack.ts';

/** Which process answers a row: its CPU is what the row's "server CPU" column reports. */
export type Answerer = 'floor' | 'sim' | 'gateway';

export interface Row extends Omit<LoadRequest, 'connections' | 'durationSec'> {
  label: string;
  by: Answerer;
}

export interface Case {
  call: string;
  rows: Row[];
}

export interface CaseUrls {
  gw: string;
  sim: string;
  floor: string;
  auth: Record<string, string>;
  promptId: string;
  etag: string;
  view: string;
  viewLabel: string;
}

/** The calls of the overhead bench: floor, simulator and gateway paths for each. */
export function overheadCases(u: CaseUrls): Case[] {
  const { gw: g, sim: d, auth: A, promptId: id } = u;
  return [
    {
      call: 'status',
      rows: [
        { label: 'floor: node:http, same bytes', by: 'floor', url: `${u.floor}/status` },
        { label: 'sim GET /history/{id}', by: 'sim', url: `${d}/history/${id}` },
        {
          label: 'gw REST /api/comfy/status/{id}',
          by: 'gateway',
          url: `${g}/api/comfy/status/${id}`,
          headers: A,
        },
        {
          label: 'gw tRPC comfy.status',
          by: 'gateway',
          url: `${g}/trpc/comfy.status?input=${trpcInput({ prompt_id: id })}`,
          headers: A,
        },
      ],
    },
    {
      call: 'history',
      rows: [
        { label: 'floor: node:http, same bytes', by: 'floor', url: `${u.floor}/history` },
        { label: 'sim GET /history/{id}', by: 'sim', url: `${d}/history/${id}` },
        {
          label: 'gw REST /api/comfy/history/{id}',
          by: 'gateway',
          url: `${g}/api/comfy/history/${id}`,
          headers: A,
        },
        {
          label: 'gw tRPC comfy.history',
          by: 'gateway',
          url: `${g}/trpc/comfy.history?input=${trpcInput({ prompt_id: id })}`,
          headers: A,
        },
      ],
    },
    {
      call: 'object-info',
      rows: [
        { label: 'sim GET /object_info', by: 'sim', url: `${d}/object_info` },
        {
          label: 'gw REST /api/comfy/object-info (200)',
          by: 'gateway',
          url: `${g}/api/comfy/object-info`,
          headers: A,
        },
        {
          label: 'gw REST /api/comfy/object-info (304)',
          by: 'gateway',
          url: `${g}/api/comfy/object-info`,
          headers: { ...A, 'if-none-match': u.etag },
        },
        { label: 'gw tRPC comfy.objectInfo', by: 'gateway', url: `${g}/trpc/comfy.objectInfo`, headers: A },
      ],
    },
    {
      call: u.viewLabel,
      rows: [
        { label: 'sim GET /view', by: 'sim', url: `${d}/view?filename=${u.view}&type=output` },
        {
          label: 'gw REST /api/comfy/view (disk cache)',
          by: 'gateway',
          url: `${g}/api/comfy/view?filename=${u.view}`,
          headers: A,
        },
      ],
    },
  ];
}
