/* The article form keeps what is typed in this browser's storage (never on the
 * server: nothing half-written is published or recorded as a revision) and, on
 * the next visit after a closed tab or a crash, offers it back. Leaving the page
 * with unsaved changes asks first. The body editor (django-prose-editor) writes
 * its HTML into the form's textarea and fires "input" there on every change. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";

  var form = document.getElementById("article_form");
  var offer = document.getElementById("autosave-offer");
  // A new article starts at its title, not at the first button of the row of actions above
  // it, which the admin's change_form.js (an async script, done by "load") focuses.
  var title = document.getElementById("id_title");
  if (form && title && /\/add\/$/.test(window.location.pathname)) {
    window.addEventListener("load", function () {
      var active = document.activeElement;
      if (!active || active === document.body || active.tagName === "BUTTON" || active.type === "submit") title.focus();
    });
  }
  if (!form || !window.localStorage) return;

  var KEY = "vivold.autosave:" + window.location.pathname;
  var SKIPPED = { csrfmiddlewaretoken: true };
  var submitting = false;
  var initial = null;
  var timer = null;

  // The article's own fields: inline formset fields (named "prefix-N-field") and files stay out.
  function fields() {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.name && !SKIPPED[element.name] && element.name.indexOf("-") === -1 &&
        element.type !== "file" && element.type !== "submit" && element.type !== "button" && element.type !== "hidden";
    });
  }

  function snapshot() {
    var values = {};
    fields().forEach(function (element) {
      if (element.type === "checkbox") values[element.name] = element.checked;
      else if (element.type === "radio") { if (element.checked) values[element.name] = element.value; }
      else if (element.multiple) values[element.name] = Array.prototype.map.call(element.selectedOptions, function (o) { return o.value; });
      else values[element.name] = element.value;
    });
    return values;
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function read() {
    try { return JSON.parse(window.localStorage.getItem(KEY) || "null"); } catch (error) { return null; }
  }

  function store() {
    timer = null;
    if (submitting || initial === null) return;
    var values = snapshot();
    try {
      if (same(values, initial)) window.localStorage.removeItem(KEY);
      else window.localStorage.setItem(KEY, JSON.stringify({ savedAt: new Date().toISOString(), values: values }));
    } catch (error) { /* storage full or refused: the leave warning still protects the work */ }
  }

  function later() {
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(store, 400);
  }

  var readyEditor = null;

  function bodyEditor() {
    if (readyEditor) return readyEditor;
    var element = form.querySelector(".prose-editor .ProseMirror[contenteditable]");
    return element && element.editor;  // Tiptap keeps its editor on its element
  }

  function apply(values) {
    fields().forEach(function (element) {
      if (!(element.name in values) || element.name === "body") return;
      var value = values[element.name];
      if (element.type === "checkbox") element.checked = !!value;
      else if (element.type === "radio") element.checked = element.value === value;
      else if (element.multiple) Array.prototype.forEach.call(element.options, function (o) { o.selected = value.indexOf(o.value) !== -1; });
      else if (element.tagName !== "SELECT" || element.querySelector("option[value='" + CSS.escape(String(value)) + "']")) element.value = value;
      element.dispatchEvent(new Event("change", { bubbles: true }));
    });
    var body = form.querySelector("textarea[name=body]");
    if (body && "body" in values) {
      var editor = bodyEditor();
      if (editor) editor.commands.setContent(values.body);
      body.value = values.body;
    }
  }

  function when(iso) {
    var date = new Date(iso);
    return isNaN(date) ? "earlier" : date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  }

  function button(text, onClick, primary) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = primary ? "button default" : "button";
    element.textContent = text;
    element.addEventListener("click", onClick);
    return element;
  }

  function offerBack(saved) {
    if (!offer) return;
    var text = document.createElement("p");
    text.textContent = "This browser kept changes you had not saved (" + when(saved.savedAt) + ").";
    offer.replaceChildren(
      text,
      button("Restore them", function () {
        apply(saved.values);
        offer.hidden = true;
        store();
      }, true),
      button("Discard", function () {
        window.localStorage.removeItem(KEY);
        offer.hidden = true;
      })
    );
    offer.hidden = false;
  }

  function start() {
    initial = snapshot();
    var saved = read();
    if (saved && saved.values) {
      if (same(saved.values, initial)) window.localStorage.removeItem(KEY);  // what was kept got saved
      else offerBack(saved);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  form.addEventListener("submit", function () {
    // The server has the form now; if it is refused, the page comes back filled in.
    submitting = true;
    window.localStorage.removeItem(KEY);
  });

  window.addEventListener("beforeunload", function (event) {
    if (submitting || initial === null || same(snapshot(), initial)) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to ask
  });

  document.addEventListener("prose-editor:ready", function (event) {
    if (event.detail && event.detail.textarea && event.detail.textarea.name === "body") readyEditor = event.detail.editor;
  });
  // The form as the server sent it (the editor only writes to its textarea on a change),
  // taken at once, so that nothing typed while the editor loads is missed.
  start();
});
