// The page's one way to the server: JSON back, the server's error message thrown on failure.
export async function api(path, body) {
  const response = await fetch(path, body ? { method: "POST", body } : {});
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

// The query that tells the server how to read the current image (a canvas drawing or an upload/sample).
export function imageParams(state, extra = {}) {
  const params = new URLSearchParams(extra);
  if (state.draw) params.set("draw", "1");
  return params;
}
