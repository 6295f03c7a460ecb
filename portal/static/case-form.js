/* The case form, quicker with JavaScript. Without it the form works as it is: the "add another"
   buttons post the form and the server adds the row; empty rows are ignored.

   With it:
   - "add another" copies the <template data-template=...> row, numbering its fields the way
     WTForms' FieldList names them (invoices-3-amount), and no request is made;
   - each row gets a "remove" button; the rows left are renumbered 0, 1, 2...;
   - the outstanding total (amount less already paid) follows the invoice rows as they change;
   - the new debtor's fields hide while an existing debtor is picked;
   - chosen files are listed under their file input.
   No inline script: this file is loaded with `defer`. */
(function () {
  "use strict";

  var form = document.querySelector("form.case-form");
  if (!form) return;

  var TITLES = { invoices: "invoice", charge_terms: "charge", history: "entry" };
  var NAMED = ["name", "id", "for", "aria-describedby", "aria-labelledby", "href"];

  // --- row numbering --------------------------------------------------------------------

  function renameAttribute(el, attr, list, index) {
    var value = el.getAttribute(attr);
    if (value === null) return;
    var pattern = new RegExp("(^|[\\s#])" + list + "-(?:\\d+|__index__)-", "g");
    var renamed = value.replace(pattern, "$1" + list + "-" + index + "-");
    if (renamed !== value) el.setAttribute(attr, renamed);
  }

  function numberRow(row, list, index) {
    var all = [row].concat(Array.prototype.slice.call(row.querySelectorAll("*")));
    all.forEach(function (el) {
      NAMED.forEach(function (attr) { renameAttribute(el, attr, list, index); });
    });
    var number = row.querySelector("[data-row-number]");
    if (number) number.textContent = String(index + 1);
    var remove = row.querySelector(".remove-row");
    if (remove) remove.textContent = "Remove " + TITLES[list] + " " + (index + 1);
  }

  function rowsOf(container) {
    return Array.prototype.filter.call(container.children, function (el) {
      return el.hasAttribute("data-row");
    });
  }

  function renumber(container) {
    var list = container.getAttribute("data-rows");
    rowsOf(container).forEach(function (row, index) { numberRow(row, list, index); });
  }

  // --- adding and removing rows ---------------------------------------------------------

  function addButtonFor(list) {
    return form.querySelector('[data-add="' + list + '"]');
  }

  function updateAddButton(container) {
    var list = container.getAttribute("data-rows");
    var max = parseInt(container.getAttribute("data-max") || "0", 10);
    var button = addButtonFor(list);
    if (button && max) button.disabled = rowsOf(container).length >= max;
  }

  function clearRow(row) {
    row.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (el.type === "hidden") {
        if (/-staged$/.test(el.name)) el.remove();  // files kept from an earlier submit
      } else if (el.type === "checkbox" || el.type === "radio") {
        el.checked = false;
      } else if (el.tagName === "SELECT") {
        var preset = el.querySelector("option[selected]");
        el.selectedIndex = preset ? preset.index : 0;
      } else {
        el.value = "";
      }
    });
    row.querySelectorAll(".attached, .chosen-files").forEach(function (el) { el.remove(); });
  }

  function addRemoveButton(row, container) {
    if (row.querySelector(".remove-row")) return;
    var tools = document.createElement("div");
    tools.className = "row-tools";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button-secondary remove-row";
    button.addEventListener("click", function () { removeRow(row, container); });
    tools.appendChild(button);
    row.appendChild(tools);
  }

  function removeRow(row, container) {
    var list = container.getAttribute("data-rows");
    var rows = rowsOf(container);
    var position = rows.indexOf(row);
    if (rows.length === 1) {
      clearRow(row);  // the last row stays, empty (empty rows are ignored)
    } else {
      row.remove();
    }
    renumber(container);
    updateAddButton(container);
    updateTotal();
    var left = rowsOf(container);
    var target = left[Math.min(position, left.length - 1)];
    var focusable = target && target.querySelector("input:not([type=hidden]), select, textarea");
    (focusable || addButtonFor(list)).focus();
    announce((TITLES[list].charAt(0).toUpperCase() + TITLES[list].slice(1)) + " removed.");
  }

  function addRow(container) {
    var list = container.getAttribute("data-rows");
    var template = form.querySelector('template[data-template="' + list + '"]');
    if (!template) return;
    var max = parseInt(container.getAttribute("data-max") || "0", 10);
    if (max && rowsOf(container).length >= max) return;
    var fragment = template.content.cloneNode(true);
    var row = fragment.querySelector("[data-row]");
    container.appendChild(fragment);
    row.classList.add("is-new");
    addRemoveButton(row, container);
    renumber(container);
    updateAddButton(container);
    wireFileInputs(row);
    var first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  }

  form.querySelectorAll("[data-rows]").forEach(function (container) {
    rowsOf(container).forEach(function (row) { addRemoveButton(row, container); });
    renumber(container);
    updateAddButton(container);
    var button = addButtonFor(container.getAttribute("data-rows"));
    if (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        addRow(container);
      });
    }
  });

  // --- the outstanding total ------------------------------------------------------------

  var output = form.querySelector("[data-outstanding]");
  var currencyInput = form.querySelector('input[name="currency"]');
  var digitsByCurrency = {};
  try {
    digitsByCurrency = JSON.parse(form.getAttribute("data-currency-digits") || "{}") || {};
  } catch (ignored) {
    digitsByCurrency = {};
  }

  function currency() {
    return ((currencyInput && currencyInput.value) || "").trim().toUpperCase();
  }

  function digitsOf(code) {
    return Object.prototype.hasOwnProperty.call(digitsByCurrency, code) ? digitsByCurrency[code] : 2;
  }

  // "1,250.50" -> 125050n (minor units) for a currency with `digits` decimals; null if unreadable.
  function toMinor(text, digits) {
    var cleaned = (text || "").replace(/[,\s\u00a0]/g, "");
    if (!cleaned) return null;
    var match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(cleaned);
    if (!match || (match[2] === "" && !match[3])) return null;
    var fraction = (match[3] || "").replace(/0+$/, "");
    if (fraction.length > digits) return null;  // the server refuses it too
    while (fraction.length < digits) fraction += "0";
    var minor = BigInt((match[2] || "0") + fraction);
    return match[1] ? -minor : minor;
  }

  function format(minor, code, digits) {
    var negative = minor < 0n;
    var text = (negative ? -minor : minor).toString();
    while (text.length <= digits) text = "0" + text;
    var whole = digits ? text.slice(0, text.length - digits) : text;
    var decimal = (negative ? "-" : "") + whole + (digits ? "." + text.slice(-digits) : "");
    try {
      return new Intl.NumberFormat("en-KE", {
        style: "currency", currency: code, currencyDisplay: "code",
        minimumFractionDigits: digits, maximumFractionDigits: digits
      }).format(decimal);
    } catch (ignored) {
      return code + "\u00a0" + decimal;
    }
  }

  function updateTotal() {
    if (!output) return;
    var code = currency();
    if (!/^[A-Z]{3}$/.test(code)) {
      output.textContent = "—";
      return;
    }
    var digits = digitsOf(code);
    var total = 0n;
    var container = form.querySelector('[data-rows="invoices"]');
    rowsOf(container).forEach(function (row) {
      var amount = row.querySelector('input[name$="-amount"]');
      var paid = row.querySelector('input[name$="-paid"]');
      var a = toMinor(amount && amount.value, digits);
      if (a === null) return;
      var p = toMinor(paid && paid.value, digits);
      total += a - (p === null ? 0n : p);
    });
    output.setAttribute("data-currency", code);
    output.textContent = format(total, code, digits);
  }

  if (output && typeof BigInt === "function") {
    form.addEventListener("input", function (event) {
      var name = event.target.name || "";
      if (name === "currency" || /^invoices-\d+-(amount|paid)$/.test(name)) updateTotal();
    });
    updateTotal();
  }

  // --- an existing debtor, or a new one -------------------------------------------------

  var picker = form.querySelector('select[name="debtor_id"]');
  var newDebtor = form.querySelector("[data-new-debtor]");
  function showDebtorFields() {
    if (!picker || !newDebtor) return;
    newDebtor.hidden = picker.value !== "0" && picker.value !== "";
  }
  if (picker && newDebtor) {
    picker.addEventListener("change", showDebtorFields);
    showDebtorFields();
  }

  // --- chosen files ---------------------------------------------------------------------

  function size(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(bytes < 100 * 1024 ? 1 : 0) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function wireFileInputs(root) {
    root.querySelectorAll('input[type="file"]').forEach(function (input) {
      input.addEventListener("change", function () {
        var list = input.parentNode.querySelector(".chosen-files");
        if (list) list.remove();
        if (!input.files || !input.files.length) return;
        list = document.createElement("ul");
        list.className = "chosen-files";
        list.setAttribute("aria-label", "Files chosen, attached when you save");
        Array.prototype.forEach.call(input.files, function (file) {
          var item = document.createElement("li");
          item.textContent = file.name + " (" + size(file.size) + ")";
          list.appendChild(item);
        });
        input.insertAdjacentElement("afterend", list);
      });
    });
  }
  wireFileInputs(form);

  // --- announcements for screen readers ---------------------------------------------------

  var live = document.createElement("p");
  live.className = "visually-hidden";
  live.setAttribute("aria-live", "polite");
  form.appendChild(live);
  function announce(text) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }
})();
