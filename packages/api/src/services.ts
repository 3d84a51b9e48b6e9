import type {
  ApiToken,
  BackendDrainState,
  ChangePasswordInput,
  ComfyObjectInfo,
  ComfyQueueRequest,
  ComfyQueueResponse,
  ComfyText2ImgResponse,
  CreateApiTokenInput,
  CreateUserInput,
  CreatedApiToken,
  GalleryDetail,
  GalleryList,
  Health,
  HistorySummary,
  IngestFromComfyInput,
  IngestResult,
  JobList,
  JobListQuery,
  JobPriorityResult,
  JobRecord,
  JobSnapshot,
  LoginResponse,
  NodeInfo,
  PatchUserInput,
  PresetSummary,
  QueueState,
  StreamEvent,
  TokenScope,
  User,
  CancelResult,
  galleryListInputSchema,
  text2ImgInputSchema,
} from '@comfy-gateway/schema';
import type * as z from 'zod';

// Function-typed properties rather than methods: parameters are then checked strictly, so an
// implementation that drifts from this contract fails to compile where the server declares it.

/** Who is asking: ownership checks need the id, admin bypasses the role. */
export type Caller = Pick<User, 'id' | 'role'>;

/** A submit's caller and its optional `Idempotency-Key`. */
export interface CallContext {
  user: Caller;
  idempotencyKey?: string | undefined;
}

/** A credential that checked out: its user, scopes, and (for sessions) the key that ends it. */
export interface AuthenticatedCredential {
  user: User;
  kind: 'session' | 'api';
  /** The credential's hash: a password change keeps the session that made it. */
  credential: string;
  scopes: TokenScope[];
}

export interface AuthServices {
  login: (
    email: string,
    password: string,
    opts?: { clientIp?: string | undefined },
  ) => Promise<LoginResponse>;
  logout: (token: string) => Promise<void>;
  /** The user as stored (null: gone); a context without a token is re-checked through it. */
  getUser: (id: number) => Promise<User | null>;
  /** A presented session or API token, re-checked on every call (null: invalid or expired). */
  authenticateCredential: (token: string) => Promise<AuthenticatedCredential | null>;
  changePassword: (userId: number, input: ChangePasswordInput, keepSession?: string) => Promise<void>;
  listTokens: (userId: number) => Promise<ApiToken[]>;
  createToken: (
    user: Caller,
    input: CreateApiTokenInput,
    grantable?: readonly TokenScope[],
  ) => Promise<CreatedApiToken>;
  revokeToken: (userId: number, tokenId: number) => Promise<void>;
  listUsers: () => Promise<User[]>;
  createUser: (input: CreateUserInput) => Promise<User>;
  setActive: (id: number, active: boolean, actorId?: number) => Promise<User>;
  updateUser: (id: number, patch: PatchUserInput, actorId?: number, keepSession?: string) => Promise<User>;
  /** NOT_FOUND unless the user exists. */
  requireUserExists: (id: number) => Promise<void>;
}

/** One event of a prompt's stream with its id ('' for unnumbered notices). */
export interface StreamItem {
  id: string;
  event: StreamEvent;
}

/** An opened prompt stream: already subscribed, so nothing falls between opening and reading. */
export interface PromptStream extends AsyncIterable<StreamItem> {
  /** Detaches without iterating further. */
  close: () => void;
  /**
   * Instead of iterating: every event to `onItem` synchronously as it arrives (backfill first),
   * then `onEnd` once (after `done`, on close or abort). Streams without it are iterated.
   */
  listen?: (onItem: (item: StreamItem) => void, onEnd: () => void) => void;
}

/** A cached upstream answer: its value, content hash and whether it is served stale. */
export interface CachedValue<T> {
  value: T;
  hash: string;
  stale: boolean;
  warning?: string;
}

export interface ComfyServices {
  /** Async: in a cluster, a standby instance asks the lease holder (which follows the servers). */
  health: (viewer: Caller) => Promise<Health>;
  drain: (name: string) => Promise<BackendDrainState>;
  resume: (name: string) => Promise<BackendDrainState>;
  setPriority: (promptId: string, priority: number, caller: Caller) => Promise<JobPriorityResult>;
  queue: (body: ComfyQueueRequest, ctx: CallContext) => Promise<ComfyQueueResponse>;
  /** Takes the caller's fields; a preset's defaults, then the schema's, fill the rest. */
  text2img: (
    params: z.output<typeof text2ImgInputSchema>,
    ctx: CallContext,
  ) => Promise<ComfyText2ImgResponse>;
  status: (promptId: string, caller: Caller) => Promise<JobSnapshot>;
  history: (promptId: string, caller: Caller) => Promise<HistorySummary>;
  cancel: (promptId: string, caller: Caller) => Promise<CancelResult>;
  queueState: (caller: Caller) => Promise<QueueState>;
  jobs: {
    list: (query: JobListQuery, caller: Caller) => Promise<JobList>;
    byId: (promptId: string, caller: Caller) => Promise<JobRecord>;
  };
  objectInfo: (o: { refresh?: boolean; backend?: string }) => Promise<CachedValue<ComfyObjectInfo>>;
  nodeInfo: (nodeClass: string) => Promise<CachedValue<Record<string, NodeInfo>>>;
  ingestFromComfy: (input: IngestFromComfyInput, user: User) => Promise<IngestResult>;
  /** NOT_FOUND (also for someone else's prompt) before anything is sent. */
  openStream: (
    promptId: string,
    caller: Caller,
    o: { after?: string | null | undefined; signal?: AbortSignal | undefined },
  ) => Promise<PromptStream>;
}

export interface GalleryServices {
  list: (input: z.output<typeof galleryListInputSchema>, viewer: Caller) => Promise<GalleryList>;
  get: (id: string, viewer: Caller) => Promise<GalleryDetail>;
  remove: (id: string, viewer: Caller) => Promise<void>;
}

/**
 * What the procedures call. The host (apps/server) implements it over its database and ComfyUI
 * connections; this package never imports the host.
 */
export interface Services {
  auth: AuthServices;
  comfy: ComfyServices;
  gallery: GalleryServices;
  presets: { list: () => Promise<PresetSummary[]> };
  /** Counts a live subscription until the returned release runs (metrics, leak checks). */
  metrics: { openSubscriber: (transport: 'trpc') => () => void };
}
