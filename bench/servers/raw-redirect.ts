/** The baseline for redirects: Node's http answering 302 to a fixed URL, nothing else. PORT from the environment. */
import http from "node:http";

const target = "https://example.com/jobs/42?ref=sms";
http.createServer((_req, res) => {
	res.writeHead(302, { Location: target, "Cache-Control": "private, max-age=60", "Content-Length": 0 });
	res.end();
}).listen(Number(process.env.PORT), "127.0.0.1", () => process.send?.("ready"));
