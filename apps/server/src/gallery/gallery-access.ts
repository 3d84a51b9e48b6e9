import type { GalleryUserFilter, User } from '@comfy-gateway/schema';
import { GatewayError } from '../errors.ts';

/** Who is asking: owners see their own items, admins everyone's. */
export type Viewer = Pick<User, 'id' | 'role'>;

/** Whose items a listing covers; null means every owner's (admins only). */
export function listScope(viewer: Viewer, user: GalleryUserFilter | undefined): number | null {
  if (viewer.role === 'admin') return user === undefined || user === 'all' ? null : user;
  if (user === undefined || user === viewer.id) return viewer.id;
  // Refused for any other value, existing user or not, so it reveals no ids.
  throw new GatewayError('FORBIDDEN', "user: only admins may list other users' items");
}

/** True when the viewer may see, download or delete an item owned by `owner`. */
export function mayAccess(viewer: Viewer, owner: number | null): boolean {
  return viewer.role === 'admin' || owner === viewer.id;
}
