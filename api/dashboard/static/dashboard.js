// The dashboard's only script: short shared URLs, and live figures from the event stream.
// Without it every page still works; with it, an event recorded anywhere re-renders the
// figures in place (the server renders; this only swaps the parts marked data-live-part).
"use strict";

(function () {
  // Keep shared links short: leave empty fields out of the query string.
  for (const form of document.querySelectorAll("form[data-compact]")) {
    form.addEventListener("submit", function () {
      for (const field of form.elements) {
        if (field.name && field.value === "") {
          field.disabled = true;
          field.dataset.compacted = "true";
        }
      }
    });
  }
  // Coming back with the browser's Back button must find the fields usable again.
  window.addEventListener("pageshow", function () {
    for (const field of document.querySelectorAll("[data-compacted]")) {
      field.disabled = false;
      delete field.dataset.compacted;
    }
  });

  // What the script says, in the page's language (api/dashboard/rendering.py).
  let messages = {};
  const messagesBlock = document.getElementById("script-messages");
  try {
    messages = messagesBlock ? JSON.parse(messagesBlock.textContent) : {};
  } catch (error) {
    messages = {};
  }
  function say(key, values, fallback) {
    let text = messages[key] || fallback;
    for (const name in values || {}) {
      text = text.split("%(" + name + ")s").join(values[name]);
    }
    return text;
  }

  // A chart as PNG: the server gives the chart as SVG; the browser draws it on a canvas at
  // twice its size, with the page's own engine and fonts, and saves the picture.
  document.documentElement.classList.add("js");
  document.addEventListener("click", async function (event) {
    const button = event.target.closest("[data-png]");
    if (!button) return;
    event.preventDefault();
    try {
      const response = await fetch(button.dataset.png, { credentials: "same-origin" });
      if (!response.ok) return;
      const image = new Image();
      image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(await response.text());
      await image.decode();
      const canvas = document.createElement("canvas");
      canvas.width = image.naturalWidth * 2;
      canvas.height = image.naturalHeight * 2;
      const context = canvas.getContext("2d");
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise(function (done) { canvas.toBlob(done, "image/png"); });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = button.dataset.pngName;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
    } catch (error) {
      // The SVG link beside it still works.
    }
  });

  const main = document.getElementById("main");
  if (!main || !("EventSource" in window) || !main.dataset.eventKinds) return;
  const indicator = document.getElementById("live-indicator");
  const live = main.dataset.live === "on";
  if (indicator) {
    indicator.hidden = false;
    if (!live) {
      indicator.querySelector(".live-text").textContent = say("past", null, "Past record");
      return;
    }
  }
  if (!live) return;

  const scope = main.dataset.liveScope || "";
  const reloadWhole = main.dataset.reloadOnEvent === "true";
  let position = 0;
  let running = false;
  let queued = false;

  function setState(state, text) {
    if (!indicator) return;
    indicator.dataset.state = state;
    indicator.querySelector(".live-text").textContent = text;
  }

  function announce(text) {
    const status = document.getElementById("live-status");
    if (status) status.textContent = text;
  }

  async function refresh(reason) {
    if (running) {
      queued = true;
      return;
    }
    running = true;
    try {
      do {
        queued = false;
        const url = new URL(window.location.href);
        url.hash = "";
        if (position) url.searchParams.set("min_position", String(position));
        const response = await fetch(url.toString(), {
          headers: { Accept: "text/html" },
          cache: "no-store",
          credentials: "same-origin",
        });
        if (!response.ok) break;
        const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
        const freshMain = fresh.getElementById("main");
        if (reloadWhole || !freshMain || !freshMain.querySelector("[data-live-part]")) {
          if (freshMain && freshMain.innerHTML !== main.innerHTML) {
            window.location.reload();
            return;
          }
          continue;
        }
        for (const part of main.querySelectorAll("[data-live-part]")) {
          const replacement = fresh.getElementById(part.id);
          if (replacement) part.replaceWith(document.adoptNode(replacement));
        }
        main.dataset.position = freshMain.dataset.position || main.dataset.position;
        const time = new Date().toLocaleTimeString(document.documentElement.lang || [], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
        announce(reason
          ? say("updated_because", { time: time, reason: reason }, "Updated at %(time)s (%(reason)s).")
          : say("updated", { time: time }, "Updated at %(time)s."));
      } while (queued);
    } catch (error) {
      // A network hiccup: the next event tries again.
    } finally {
      running = false;
    }
  }


  function onEvent(event) {
    let item = null;
    try {
      item = JSON.parse(event.data);
    } catch (error) {
      item = null;
    }
    const at = Number(event.lastEventId);
    if (at > position) position = at;
    if (scope && item && item.aggregate_id !== scope) return;
    refresh(say(event.type, null, event.type.replace(/_/g, " ")));
  }

  const source = new EventSource("/api/v1/events/stream");
  source.addEventListener("open", function () { setState("open", say("live", null, "Live")); });
  source.addEventListener("error", function () { setState("error", say("reconnecting", null, "Reconnecting…")); });
  for (const kind of main.dataset.eventKinds.split(" ")) {
    if (kind) source.addEventListener(kind, onEvent);
  }
  source.addEventListener("message", onEvent);
  window.addEventListener("pagehide", function () { source.close(); });
})();
