/* Anti-bot proof of work (hashcash, SHA-256 via WebCrypto); without it the question stays. */
(function () {
  "use strict";

  function leadingZeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      var b = bytes[i];
      if (b === 0) { bits += 8; continue; }
      while ((b & 0x80) === 0) { bits += 1; b <<= 1; }
      return bits;
    }
    return bits;
  }

  function solve(box) {
    if (box.getAttribute("data-botcheck-state")) { return; }
    if (!window.crypto || !window.crypto.subtle || !window.TextEncoder) { return; }
    var form = box.closest("form");
    var token = box.getAttribute("data-challenge");
    var bits = parseInt(box.getAttribute("data-bits"), 10);
    var output = form && form.querySelector("input[name='botcheck_solution']");
    var question = box.querySelector(".botcheck-question");
    var status = box.querySelector(".botcheck-status");
    if (!form || !token || !output || !(bits > 0)) { return; }
    if (output.value) { box.setAttribute("data-botcheck-state", "done"); hide(); return; }
    box.setAttribute("data-botcheck-state", "working");
    var encoder = new TextEncoder();
    var counter = 0;
    var submitWhenDone = false;

    function hide() {
      if (question) { question.hidden = true; }
      var answer = box.querySelector("input[name='botcheck_answer']");
      if (answer) { answer.required = false; }
    }
    hide();
    if (status) { status.textContent = status.getAttribute("data-working") || ""; }

    // capturing, so it runs before htmx's own listener on a boosted form, which it stops:
    // htmx would send the form without the solution (it does not look at defaultPrevented)
    form.addEventListener("submit", function (event) {
      if (box.getAttribute("data-botcheck-state") === "working") {
        event.preventDefault();
        event.stopImmediatePropagation();
        submitWhenDone = true;
      }
    }, true);

    function step() {
      var batch = [];
      for (var i = 0; i < 256; i++) {
        batch.push(window.crypto.subtle.digest("SHA-256", encoder.encode(token + ":" + (counter + i))));
      }
      Promise.all(batch).then(function (digests) {
        for (var j = 0; j < digests.length; j++) {
          if (leadingZeroBits(new Uint8Array(digests[j])) >= bits) {
            output.value = String(counter + j);
            box.setAttribute("data-botcheck-state", "done");
            if (status) { status.textContent = status.getAttribute("data-done") || ""; }
            if (submitWhenDone) {
              if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
            }
            return;
          }
        }
        counter += digests.length;
        step();
      }, function () {
        box.setAttribute("data-botcheck-state", "failed");
        if (question) { question.hidden = false; }
      });
    }
    step();
  }

  function start(root) {
    var boxes = (root || document).querySelectorAll("[data-challenge]");
    for (var i = 0; i < boxes.length; i++) { solve(boxes[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { start(document); });
  } else {
    start(document);  // loaded after a boosted swap (app.js)
  }
  document.addEventListener("htmx:afterSwap", function (event) { start(event.detail.target); });
})();
