/* "Show password" (ASVS V2.1.12): the checkbox stays hidden without JavaScript. */
(function () {
  "use strict";
  function wire(root) {
    var toggles = (root || document).querySelectorAll("[data-show-password]");
    for (var i = 0; i < toggles.length; i++) {
      var toggle = toggles[i];
      var box = toggle.closest(".show-password");
      if (box) { box.hidden = false; }
      if (toggle.getAttribute("data-wired")) { continue; }
      toggle.setAttribute("data-wired", "1");
      toggle.addEventListener("change", function (event) {
        var form = event.target.closest("form");
        var inputs = form ? form.querySelectorAll("input[data-password]") : [];
        for (var j = 0; j < inputs.length; j++) {
          inputs[j].type = event.target.checked ? "text" : "password";
        }
      });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { wire(document); });
  } else {
    wire(document);  // loaded after a boosted swap (app.js)
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    wire(event.detail.target);  // a boosted swap brings a new page's checkbox
    var form = event.detail.target.closest && event.detail.target.closest("form");
    var toggle = form && form.querySelector("[data-show-password]");
    if (toggle && toggle.checked) {
      var inputs = form.querySelectorAll("input[data-password]");
      for (var j = 0; j < inputs.length; j++) { inputs[j].type = "text"; }
    }
  });
})();
