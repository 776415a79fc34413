import { startRoomySystem } from "../support/employees";
import { defineStory } from "./story.suite";

defineStory("the story, one process", async () => {
	const system = await startRoomySystem();
	return { url: system.url, stop: system.stop };
});
