/** Reading a node's Prometheus scrape (METRICS_PORT) in tests. */

export interface Sample {
	name: string;
	labels: Record<string, string>;
	value: number;
}

/** GET /metrics on a node's metrics port: the text, and every sample in it. */
export async function scrape(port: number, host = "127.0.0.1"): Promise<{ text: string; samples: Sample[] }> {
	const res = await fetch(`http://${host}:${port}/metrics`);
	if (res.status !== 200) throw new Error(`scrape of :${port} answered ${res.status}`);
	const text = await res.text();
	return { text, samples: parseSamples(text) };
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseSamples(text: string): Sample[] {
	const samples: Sample[] = [];
	for (const line of text.split("\n")) {
		const match = SAMPLE.exec(line);
		if (!match) continue;
		const labels: Record<string, string> = {};
		for (const [, key, value] of (match[2] ?? "").matchAll(LABEL)) labels[key] = value.replace(/\\(.)/g, "$1");
		samples.push({ name: match[1], labels, value: Number(match[3]) });
	}
	return samples;
}

/** The samples of one metric whose labels include all of `labels`. */
export function samplesOf(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
	return samples.filter(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one value of a metric with these labels; undefined when it has no such series. */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
	const found = samplesOf(samples, name, labels);
	if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} names ${found.length} series`);
	return found[0]?.value;
}
