/** This node's open sockets by tenant and user, so a push reaches exactly the sockets it names. */

export interface IndexedSocket {
	readonly tenantId: string;
	readonly userId: string;
}

export class SocketIndex<S extends IndexedSocket> {
	private readonly tenants = new Map<string, Map<string, Set<S>>>();
	private count = 0;

	get size(): number {
		return this.count;
	}

	add(socket: S): void {
		let users = this.tenants.get(socket.tenantId);
		if (!users) this.tenants.set(socket.tenantId, (users = new Map()));
		let sockets = users.get(socket.userId);
		if (!sockets) users.set(socket.userId, (sockets = new Set()));
		if (!sockets.has(socket)) {
			sockets.add(socket);
			this.count++;
		}
	}

	/** False when it was not there (already removed). */
	remove(socket: S): boolean {
		const users = this.tenants.get(socket.tenantId);
		const sockets = users?.get(socket.userId);
		if (!users || !sockets?.delete(socket)) return false;
		this.count--;
		if (sockets.size === 0) users.delete(socket.userId);
		if (users.size === 0) this.tenants.delete(socket.tenantId);
		return true;
	}

	/** The sockets of these users of the tenant, or of all its users when `userIds` is undefined. */
	*select(tenantId: string, userIds?: readonly string[]): Generator<S> {
		const users = this.tenants.get(tenantId);
		if (!users) return;
		if (userIds === undefined) {
			for (const sockets of users.values()) yield* sockets;
			return;
		}
		for (const userId of new Set(userIds)) {
			const sockets = users.get(userId);
			if (sockets) yield* sockets;
		}
	}

	*all(): Generator<S> {
		for (const users of this.tenants.values()) for (const sockets of users.values()) yield* sockets;
	}
}
