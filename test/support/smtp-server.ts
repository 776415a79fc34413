/**
 * A tiny SMTP server on 127.0.0.1 for the tests of mail delivery: it refuses every message at
 * the end of its DATA (`refusing`, with the reply the test chose) until told to accept, and
 * keeps every message offered and the ones it accepted.
 * It speaks only what nodemailer needs over plain SMTP (no STARTTLS, no AUTH).
 */
import net from "node:net";

export interface ReceivedMail {
	from: string;
	to: string[];
	/** The message as sent: headers and body. */
	data: string;
}

export interface FakeSmtpServer {
	url: string;
	/** A reply such as "451 4.3.0 Try again later" to refuse every message with; null to accept. */
	refusing: string | null;
	/** True: connections are accepted and never answered (a server that hangs). */
	silent: boolean;
	/** Every message offered, refused or not. */
	offered: ReceivedMail[];
	/** The messages accepted. */
	received: ReceivedMail[];
	close(): Promise<void>;
}

export async function startFakeSmtpServer(refusing: string | null = "451 4.3.0 Mailbox busy, try again later"): Promise<FakeSmtpServer> {
	const sockets = new Set<net.Socket>();
	const state: Omit<FakeSmtpServer, "url" | "close"> = { refusing, silent: false, offered: [], received: [] };
	const server = net.createServer(socket => {
		sockets.add(socket);
		socket.on("close", () => sockets.delete(socket));
		socket.on("error", () => undefined);
		socket.setEncoding("utf8");
		if (state.silent) return;
		const reply = (line: string) => socket.write(`${line}\r\n`);
		let buffer = "";
		let mail: ReceivedMail | null = null;
		let inData = false;
		reply("220 fake-smtp ESMTP ready");
		socket.on("data", (chunk: string) => {
			buffer += chunk;
			for (;;) {
				if (inData) {
					const end = buffer.indexOf("\r\n.\r\n");
					if (end < 0) return;
					mail!.data = buffer.slice(0, end);
					buffer = buffer.slice(end + 5);
					inData = false;
					state.offered.push(mail!);
					if (state.refusing) reply(state.refusing);
					else {
						state.received.push(mail!);
						reply("250 2.0.0 Queued");
					}
					mail = null;
					continue;
				}
				const eol = buffer.indexOf("\r\n");
				if (eol < 0) return;
				const line = buffer.slice(0, eol);
				buffer = buffer.slice(eol + 2);
				const verb = line.slice(0, 4).toUpperCase();
				if (verb === "EHLO") reply("250-fake-smtp\r\n250 8BITMIME");
				else if (verb === "HELO" || verb === "NOOP" || verb === "RSET") reply("250 OK");
				else if (verb === "MAIL") {
					mail = { from: line.slice(10).trim(), to: [], data: "" };
					reply("250 2.1.0 OK");
				} else if (verb === "RCPT" && mail) {
					mail.to.push(line.slice(8).trim().replace(/^<|>$/g, ""));
					reply("250 2.1.5 OK");
				} else if (verb === "DATA" && mail) {
					inData = true;
					reply("354 End data with <CR><LF>.<CR><LF>");
				} else if (verb === "QUIT") {
					reply("221 2.0.0 Bye");
					socket.end();
				} else reply("503 5.5.1 Bad sequence of commands");
			}
		});
	});
	await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as net.AddressInfo;
	return Object.assign(state, {
		url: `smtp://127.0.0.1:${port}`,
		close: () =>
			new Promise<void>(resolve => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			})
	});
}
