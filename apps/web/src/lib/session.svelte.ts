import type { User } from '@comfy-gateway/schema';
import { GatewayClientError } from '@comfy-gateway/client';
import { createQuietRest } from './api/client.ts';
import { gateway } from './api/gateway.ts';

/** The signed-in user (null when signed out); `current` is read by the layout and pages. */
class Session {
  #user = $state<User | null>(null);

  get current(): User | null {
    return this.#user;
  }

  /** Asks the server who we are; null on 401. Other failures propagate. */
  async probe(fetchImpl?: typeof fetch): Promise<User | null> {
    try {
      this.#user = await (fetchImpl ? createQuietRest(fetchImpl) : gateway).me();
    } catch (err) {
      if (!(err instanceof GatewayClientError) || err.status !== 401) throw err;
      this.#user = null;
    }
    return this.#user;
  }

  async login(email: string, password: string): Promise<User> {
    const out = await gateway.login(email, password);
    this.#user = out.user;
    return out.user;
  }

  async logout(): Promise<void> {
    try {
      await gateway.logout();
    } finally {
      this.#user = null;
    }
  }

  clear(): void {
    this.#user = null;
  }
}

export const session = new Session();
