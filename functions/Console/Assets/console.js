// Keyboard shortcuts for the review console. Every shortcut only moves the focus; Enter (or Space) acts, so a stray
// key never approves anything. Keys typed into a field are left alone.
(function () {
  "use strict";
  function typing(target) {
    return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement || (target && target.isContentEditable);
  }

  function focus(id) {
    var element = document.getElementById(id);
    if (element) {
      element.focus();
      element.scrollIntoView({ block: "center" });
      return true;
    }
    return false;
  }

  function move(step) {
    var links = Array.prototype.slice.call(document.querySelectorAll("a.row-link"));
    if (links.length === 0) {
      return;
    }
    var index = links.indexOf(document.activeElement);
    var next = index < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, index + step));
    links.forEach(function (link) { link.closest("tr").classList.remove("selected"); });
    links[next].closest("tr").classList.add("selected");
    links[next].focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var handled = true;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": handled = focus("approve"); break;
      case "e": handled = focus("edit-text"); break;
      case "r": handled = focus("reject"); break;
      case "o": handled = focus("owner"); break;
      case "q": window.location.href = "/console"; break;
      default: handled = false;
    }
    if (handled) {
      event.preventDefault();
    }
  });
})();
