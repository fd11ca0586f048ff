/** oidc-provider's storage: per instance, in memory (sessions and codes do not need to survive a restart). */

interface StoredEntry {
  payload: Record<string, unknown>;
  expiresAt: number | undefined;
}

const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

export class ExpiringStore {
  private readonly entries = new Map<string, StoredEntry>();

  adapterFor(model: string) {
    const store = this;
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
        store.set(key(id), payload, expiresIn);
        // Only tokens and codes die with their grant (as in oidc-provider's own memory adapter); an
        // Interaction also names a grantId but must outlive it when one user signs out for another.
        if (GRANTABLE.has(model) && typeof payload.grantId === 'string') store.index(`grant:${payload.grantId}`, key(id));
        if (typeof payload.uid === 'string') store.set(`sessionUid:${payload.uid}`, { id }, expiresIn);
        if (typeof payload.userCode === 'string') store.set(`userCode:${payload.userCode}`, { id }, expiresIn);
      },
      async find(id: string) {
        return store.get(key(id));
      },
      async findByUid(uid: string) {
        const ref = store.get(`sessionUid:${uid}`);
        return ref ? store.get(key(ref.id as string)) : undefined;
      },
      async findByUserCode(userCode: string) {
        const ref = store.get(`userCode:${userCode}`);
        return ref ? store.get(key(ref.id as string)) : undefined;
      },
      async consume(id: string) {
        const payload = store.get(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id: string) {
        store.entries.delete(key(id));
      },
      async revokeByGrantId(grantId: string) {
        const members = store.get(`grant:${grantId}`)?.members as string[] | undefined;
        for (const member of members ?? []) store.entries.delete(member);
        store.entries.delete(`grant:${grantId}`);
      },
    };
  }

  clear(): void {
    this.entries.clear();
  }

  private get(k: string): Record<string, unknown> | undefined {
    const entry = this.entries.get(k);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.entries.delete(k);
      return undefined;
    }
    return entry.payload;
  }

  private set(k: string, payload: Record<string, unknown>, expiresIn?: number): void {
    if (this.entries.size > 10_000) this.sweep();
    this.entries.set(k, { payload, expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined });
  }

  private index(k: string, member: string): void {
    const members = (this.get(k)?.members as string[] | undefined) ?? [];
    members.push(member);
    this.entries.set(k, { payload: { members }, expiresAt: undefined });
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, e] of this.entries) if (e.expiresAt !== undefined && e.expiresAt <= now) this.entries.delete(k);
  }
}
