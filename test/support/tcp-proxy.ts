/**
 * A TCP proxy in front of one server (PostgreSQL, say), that a test can cut and restore: a node
 * behind it loses its database as it would to a network fault, while it goes on running and
 * sending its heartbeats, so the cluster still takes it for healthy.
 */
import net from "node:net";
import { freePort } from "./ports";

export interface TcpProxy {
	port: number;
	/** Drops every connection and refuses new ones, as a dead link to the server would. */
	cut(): Promise<void>;
	/** Accepts connections again, on the same port. */
	restore(): Promise<void>;
	stop(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
	const port = await freePort();
	const sockets = new Set<net.Socket>();
	const server = net.createServer(client => {
		const upstream = net.connect(target.port, target.host);
		for (const socket of [client, upstream]) {
			sockets.add(socket);
			socket.once("close", () => sockets.delete(socket));
			socket.on("error", () => undefined);
		}
		client.pipe(upstream).pipe(client);
		client.once("close", () => upstream.destroy());
		upstream.once("close", () => client.destroy());
	});
	const listen = () =>
		new Promise<void>((resolve, reject) => {
			server.once("error", reject);
			server.listen(port, "127.0.0.1", () => {
				server.off("error", reject);
				resolve();
			});
		});
	const close = () =>
		new Promise<void>(resolve => {
			for (const socket of sockets) socket.destroy();
			if (!server.listening) resolve();
			else server.close(() => resolve());
		});
	await listen();
	return { port, cut: close, restore: listen, stop: close };
}

/** The URL with its host and port replaced by the proxy's. */
export function throughProxy(url: string, proxy: TcpProxy): string {
	const proxied = new URL(url);
	proxied.hostname = "127.0.0.1";
	proxied.port = String(proxy.port);
	return proxied.toString();
}
