// Gradient-flow explorer: ‖∂L/∂h_t‖ of a vanilla RNN against t, beside the product bound.
//
// Embed with one line on any page:
//   <div class="gtt-explorer" markdown="0"></div>
// Optional attributes:
//   data-compact              only the activation and scale controls, a smaller plot and a
//                             link to the full explorer (for the home page)
//   data-activation, data-scale, data-hidden, data-steps, data-seed   initial parameters
//   data-url="on" | "off"     mirror the state in the page's query string (default: on for
//                             the first full-size explorer on a page, off for the others)
//   id="…"                    the fragment that shared links jump to
//
// The arithmetic is snippets/explorer/explorer_reference.py step for step: same integer
// generator, same order of every sum, exp and tanh built from + − × ÷ only. Both therefore
// produce the same bits, which tests/browser/test_explorer.py checks in Chromium.
// window.gttExplorer exposes compute(params) and every widget's state for those tests.
(function () {
  "use strict";

  var SCRIPT = document.currentScript;
  var ACTIVATIONS = ["sigmoid", "tanh", "relu", "linear"];
  var LABELS = { sigmoid: "sigmoid", tanh: "tanh", relu: "ReLU", linear: "linear (identity)" };
  var GAMMA = { sigmoid: 0.25, tanh: 1.0, relu: 1.0, linear: 1.0 };
  var GAMMA_TEXT = { sigmoid: "1/4", tanh: "1", relu: "1", linear: "1" };
  var RANGES = {
    scale: [0.1, 2.0],
    hidden: [2, 64],
    steps: [2, 200],
    seed: [0, 4294967295],
  };
  var INPUT_SIZE = 4;
  var INPUT_GAIN = 0.5;
  var DEFAULTS = { activation: "tanh", scale: 1.0, hidden: 32, steps: 100, seed: 1 };
  var QUERY = { activation: "act", scale: "scale", hidden: "hidden", steps: "steps", seed: "seed" };

  // ------------------------------------------------------------------ the computation

  function mulberry32(seed) {
    var state = seed >>> 0;
    return function () {
      state = (state + 0x6d2b79f5) >>> 0;
      var t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1) >>> 0;
      t = ((t + (Math.imul(t ^ (t >>> 7), t | 61) >>> 0)) ^ t) >>> 0;
      return (t ^ (t >>> 14)) >>> 0;
    };
  }

  function uniforms(next, count, gain) {
    var out = new Float64Array(count);
    for (var i = 0; i < count; i++) {
      var u = (next() - 2147483648) / 2147483648;
      out[i] = gain === undefined ? u : gain * u;
    }
    return out;
  }

  var LN2_HI = 6.93147180369123816490e-1;
  var LN2_LO = 1.90821492927058770002e-10;
  var INV_LN2 = 1.442695040888963387;
  var EXP_LIMIT = 700.0;
  var TANH_LIMIT = 20.0;
  var TAYLOR = [1.0];
  for (var n = 1; n < 14; n++) TAYLOR.push(TAYLOR[n - 1] / n);
  var POW2 = new Float64Array(2 * 1024); // POW2[k + 1024] = 2^k, exactly, k in [-1022, 1023]
  POW2[1024] = 1;
  for (var k = 1; k <= 1023; k++) POW2[1024 + k] = POW2[1023 + k] * 2;
  for (k = 1; k <= 1022; k++) POW2[1024 - k] = POW2[1025 - k] / 2;

  var reduced = { scale: 1, p: 0 };
  function reduce(y) {
    y = Math.min(Math.max(y, -EXP_LIMIT), EXP_LIMIT);
    var kk = Math.floor(y * INV_LN2 + 0.5);
    var r = y - kk * LN2_HI - kk * LN2_LO;
    var q = TAYLOR[13];
    for (var m = 12; m > 0; m--) q = TAYLOR[m] + r * q;
    reduced.scale = POW2[kk + 1024];
    reduced.p = r * q;
    return reduced;
  }
  function exp(y) {
    var e = reduce(y);
    return e.scale * (1.0 + e.p);
  }
  function expm1(y) {
    var e = reduce(y);
    return e.scale * e.p + (e.scale - 1.0);
  }
  function sigmoid(z) {
    var e = exp(-Math.abs(z));
    return z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
  }
  function tanh(z) {
    var m = expm1(-2.0 * Math.min(Math.abs(z), TANH_LIMIT));
    var t = -m / (2.0 + m);
    return z < 0 ? -t : t;
  }

  function sumOfSquares(v, n) {
    var total = 0.0;
    for (var i = 0; i < n; i++) total += v[i] * v[i];
    return total;
  }

  // Modified Gram–Schmidt on the columns of the row-major n×n matrix `src`.
  function orthonormalise(src, n) {
    var a = Float64Array.from(src);
    var q = new Float64Array(n * n);
    var r = new Float64Array(n);
    var col = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      for (var k = 0; k < n; k++) col[k] = a[k * n + i];
      var norm = Math.sqrt(sumOfSquares(col, n));
      for (k = 0; k < n; k++) q[k * n + i] = a[k * n + i] / norm;
      var j;
      for (j = i + 1; j < n; j++) r[j] = 0.0;
      for (k = 0; k < n; k++) {
        var qk = q[k * n + i];
        for (j = i + 1; j < n; j++) r[j] = r[j] + qk * a[k * n + j];
      }
      for (k = 0; k < n; k++) {
        qk = q[k * n + i];
        for (j = i + 1; j < n; j++) a[k * n + j] = a[k * n + j] - qk * r[j];
      }
    }
    return q;
  }

  var cache = { key: null, Q: null, U: null, x: null };
  function weights(p) {
    var H = p.hidden;
    var key = p.seed + ":" + H;
    if (cache.key !== key) {
      var next = mulberry32(p.seed);
      var A = uniforms(next, H * H);
      cache.Q = orthonormalise(orthonormalise(A, H), H);
      cache.U = uniforms(next, H * INPUT_SIZE, INPUT_GAIN);
      cache.x = uniforms(next, RANGES.steps[1] * INPUT_SIZE); // x_1..x_T is a prefix of this
      cache.key = key;
    }
    var W = new Float64Array(H * H);
    for (var i = 0; i < H * H; i++) W[i] = p.scale * cache.Q[i];
    return { W: W, U: cache.U, x: cache.x };
  }

  var TINY = 1 / 18446744073709551616; // 2^-64
  var TWO64 = 18446744073709551616;
  var RESCALE = 64;
  var LOG10_2 = 0.3010299956639812;

  function compute(params) {
    var p = checkParams(params);
    var H = p.hidden, T = p.steps, D = INPUT_SIZE;
    var m = weights(p), W = m.W, U = m.U, x = m.x;

    // Forward: h_t = φ(W h_{t−1} + U x_t) from h_0 = 0, keeping φ'(z_t).
    var h = new Float64Array(H), z = new Float64Array(H);
    var slopes = new Float64Array(T * H);
    var states = new Float64Array(T * H);
    var i, j, t;
    for (t = 0; t < T; t++) {
      for (i = 0; i < H; i++) {
        var a = 0.0;
        for (j = 0; j < H; j++) a += W[i * H + j] * h[j];
        var b = 0.0;
        for (var d = 0; d < D; d++) b += U[i * D + d] * x[t * D + d];
        z[i] = a + b;
      }
      for (i = 0; i < H; i++) {
        var zi = z[i], hi, si;
        if (p.activation === "sigmoid") {
          hi = sigmoid(zi);
          si = hi * (1.0 - hi);
        } else if (p.activation === "tanh") {
          hi = tanh(zi);
          si = 1.0 - hi * hi;
        } else if (p.activation === "relu") {
          hi = zi > 0 ? zi : 0.0;
          si = zi > 0 ? 1.0 : 0.0;
        } else {
          hi = zi;
          si = 1.0;
        }
        h[i] = hi;
        states[t * H + i] = hi;
        slopes[t * H + i] = si;
      }
    }

    // Backward: ∂L/∂h_{t−1} = Wᵀ diag(φ'(z_t)) ∂L/∂h_t, norms kept as mantissa·2^exponent.
    var gradM = new Float64Array(T), gradE = new Int32Array(T);
    var g = new Float64Array(H), u = new Float64Array(H), gNew = new Float64Array(H);
    g.fill(1.0 / Math.sqrt(H));
    var e = 0;
    for (t = T - 1; t >= 0; t--) {
      var nrm = Math.sqrt(sumOfSquares(g, H));
      while (nrm > 0.0 && nrm < TINY) {
        for (i = 0; i < H; i++) g[i] = g[i] * TWO64;
        nrm = nrm * TWO64;
        e -= RESCALE;
      }
      gradM[t] = nrm;
      gradE[t] = e;
      if (t > 0) {
        for (i = 0; i < H; i++) u[i] = slopes[t * H + i] * g[i];
        for (j = 0; j < H; j++) {
          var s = 0.0;
          for (i = 0; i < H; i++) s += W[i * H + j] * u[i];
          gNew[j] = s;
        }
        var swap = g;
        g = gNew;
        gNew = swap;
      }
    }

    // The product bound (γ·s)^(T−t)·‖∂L/∂h_T‖, in the same form.
    var gamma = GAMMA[p.activation];
    var boundM = new Float64Array(T), boundE = new Int32Array(T);
    var bnd = gradM[T - 1];
    e = 0;
    for (t = T - 1; t >= 0; t--) {
      while (bnd > 0.0 && bnd < TINY) {
        bnd = bnd * TWO64;
        e -= RESCALE;
      }
      boundM[t] = bnd;
      boundE[t] = e;
      bnd = bnd * (gamma * p.scale);
    }

    return {
      params: p,
      t: Array.from({ length: T }, function (_, k) { return k + 1; }),
      grad_mantissa: gradM,
      grad_exponent: gradE,
      grad_log10: log10Of(gradM, gradE),
      bound_mantissa: boundM,
      bound_exponent: boundE,
      bound_log10: log10Of(boundM, boundE),
      gamma: gamma,
      W: W,
      U: U,
      x: x.subarray(0, T * D),
      h: states,
      slopes: slopes,
    };
  }

  function log10Of(mant, expo) {
    var out = new Float64Array(mant.length);
    for (var i = 0; i < mant.length; i++) out[i] = Math.log10(mant[i]) + expo[i] * LOG10_2;
    return out;
  }

  // ------------------------------------------------------------------ parameters

  function checkParams(params) {
    var p = Object.assign({}, DEFAULTS, params || {});
    if (ACTIVATIONS.indexOf(p.activation) < 0) {
      throw new Error("activation must be one of " + ACTIVATIONS.join(", ") + ", got " + p.activation);
    }
    ["scale", "hidden", "steps", "seed"].forEach(function (name) {
      var v = p[name], r = RANGES[name];
      if (typeof v !== "number" || !isFinite(v) || v < r[0] || v > r[1]) {
        throw new Error(name + " must be a number in [" + r[0] + ", " + r[1] + "], got " + v);
      }
      if (name !== "scale" && Math.floor(v) !== v) throw new Error(name + " must be an integer, got " + v);
    });
    return p;
  }

  // Parse one value from a string (URL, data attribute, control); null if it is not valid.
  function parseValue(name, text) {
    if (text === null || text === undefined || text === "") return null;
    if (name === "activation") return ACTIVATIONS.indexOf(text) >= 0 ? text : null;
    if (!/^[0-9]+(\.[0-9]+)?$/.test(String(text).trim())) return null;
    var v = Number(text), r = RANGES[name];
    if (!isFinite(v) || v < r[0] || v > r[1]) return null;
    if (name !== "scale" && Math.floor(v) !== v) return null;
    return v;
  }

  function pythonFloat(v) {
    return Number.isInteger(v) ? v.toFixed(1) : String(v);
  }

  function pythonCall(p) {
    return (
      'explorer_reference.run(activation="' + p.activation + '", scale=' + pythonFloat(p.scale) +
      ", hidden=" + p.hidden + ", steps=" + p.steps + ", seed=" + p.seed + ")"
    );
  }

  // The same five parameters as the parameters cell of the vanishing-gradients lab.
  function labParameters(p) {
    return (
      'activation, scale, hidden, steps, seed = "' + p.activation + '", ' + pythonFloat(p.scale) +
      ", " + p.hidden + ", " + p.steps + ", " + p.seed
    );
  }

  function labUrl(p) {
    if (typeof __md_scope === "undefined") return null;  // Material's site root
    return new URL("generated/labs/vanishing/?" + toQuery(p), __md_scope).href;
  }

  function toQuery(p) {
    return Object.keys(QUERY).map(function (name) {
      return QUERY[name] + "=" + encodeURIComponent(String(p[name]));
    }).join("&");
  }

  function fromQuery(search) {
    var query = new URLSearchParams(search), found = {};
    Object.keys(QUERY).forEach(function (name) {
      var v = parseValue(name, query.get(QUERY[name]));
      if (v !== null) found[name] = v;
    });
    return found;
  }

  // ------------------------------------------------------------------ formatting

  // 10^value as {m: "2.31", e: -4}, for values far beyond the range of a double too.
  function splitLog10(value) {
    if (value === -Infinity) return null;
    var e = Math.floor(value);
    var m = Math.round(Math.pow(10, value - e) * 100) / 100;
    if (m >= 10) {
      m = m / 10;
      e += 1;
    }
    return { m: m.toFixed(2), e: e };
  }

  function formatLog10(value) {
    var s = splitLog10(value);
    if (!s) return "0";
    return s.m + "e" + (s.e < 0 ? "-" : "+") + (Math.abs(s.e) < 10 ? "0" : "") + Math.abs(s.e);
  }

  function minus(n) {
    return n < 0 ? "\u2212" + Math.abs(n) : String(n);
  }

  function sciHTML(value) {
    var s = splitLog10(value);
    if (!s) return "0";
    if (s.e === 0) return s.m;
    return s.m + "\u00a0\u00d7\u00a010<sup>" + minus(s.e) + "</sup>";
  }

  function escapeHTML(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  // ------------------------------------------------------------------ the widget

  var uid = 0;
  var api = {
    version: "1",
    defaults: Object.assign({}, DEFAULTS),
    ranges: RANGES,
    activations: ACTIVATIONS.slice(),
    compute: compute,
    pythonCall: pythonCall,
    labParameters: labParameters,
    toQuery: toQuery,
    fromQuery: fromQuery,
    formatLog10: formatLog10,
    widgets: [],
  };
  window.gttExplorer = api;

  function siteRoot() {
    var src = SCRIPT && SCRIPT.src;
    if (!src) return null;
    return src.replace(/assets\/javascripts\/explorer\.js(\?.*)?$/, "");
  }

  function field(id, label, control, value) {
    return (
      '<div class="gtt-ex__field"><div class="gtt-ex__label"><label for="' + id + '">' + label +
      "</label>" + (value ? '<output for="' + id + '" id="' + id + '-value"></output>' : "") +
      "</div>" + control + "</div>"
    );
  }

  function range(id, name, r, step) {
    return (
      '<input type="range" id="' + id + '" name="' + name + '" min="' + r[0] + '" max="' + r[1] +
      '" step="' + step + '">'
    );
  }

  function build(root, compact) {
    var id = "gtt-ex-" + ++uid;
    var options = ACTIVATIONS.map(function (a) {
      return '<option value="' + a + '">' + LABELS[a] + " (\u03b3 = " + GAMMA_TEXT[a] + ")</option>";
    }).join("");
    var controls =
      field(id + "-activation", "Activation \u03c6", '<select id="' + id + '-activation" name="activation">' + options + "</select>") +
      field(id + "-scale", "Recurrent scale s = \u03c3<sub>max</sub>(W)", range(id + "-scale", "scale", RANGES.scale, "0.01"), true);
    if (!compact) {
      controls +=
        field(id + "-hidden", "Hidden size H", range(id + "-hidden", "hidden", RANGES.hidden, "1"), true) +
        field(id + "-steps", "Sequence length T", range(id + "-steps", "steps", RANGES.steps, "1"), true) +
        field(id + "-seed", "Random seed", '<input type="number" id="' + id + '-seed" name="seed" min="' +
          RANGES.seed[0] + '" max="' + RANGES.seed[1] + '" step="1" inputmode="numeric">');
    }
    var share = compact
      ? '<p class="gtt-ex__share"><a class="gtt-ex__full" href="#">Open the full explorer with these settings</a></p>'
      : '<div class="gtt-ex__share">' +
        '<p class="gtt-ex__python"><span>Use in Python:</span> <code></code></p>' +
        '<p class="gtt-ex__buttons"><button type="button" class="md-button gtt-ex__copy-link">Copy link</button> ' +
        '<button type="button" class="md-button gtt-ex__copy-python">Copy Python call</button> ' +
        '<a class="gtt-ex__link" href="#">Link to this configuration</a> ' +
        '<span class="gtt-ex__status" role="status"></span></p>' +
        '<p class="gtt-ex__lab"><a class="gtt-ex__lab-link" href="#">Open this configuration in the lab</a>: ' +
        "set its parameters cell to <code></code></p></div>";
    root.innerHTML =
      '<form class="gtt-ex__controls" aria-label="Explorer settings">' + controls + "</form>" +
      '<div class="gtt-ex__plot"><svg class="gtt-ex__svg" role="img" aria-labelledby="' + id +
      '-title"><title id="' + id + '-title"></title></svg></div>' +
      '<ul class="gtt-ex__legend" aria-hidden="true">' +
      '<li><span class="gtt-ex__swatch gtt-ex__swatch--grad"></span>\u2016\u2202L/\u2202h<sub>t</sub>\u2016, measured</li>' +
      '<li><span class="gtt-ex__swatch gtt-ex__swatch--bound"></span>bound (\u03b3\u03c3<sub>max</sub>)<sup>T\u2212t</sup>\u2009\u2016\u2202L/\u2202h<sub>T</sub>\u2016</li></ul>' +
      '<dl class="gtt-ex__readout" aria-live="polite" aria-atomic="true"></dl>' + share;
    root.classList.add("gtt-explorer--ready");
    if (compact) root.classList.add("gtt-explorer--compact");
    return id;
  }

  function Widget(root, syncUrl) {
    var self = this;
    var compact = root.hasAttribute("data-compact");
    this.root = root;
    this.compact = compact;
    this.syncUrl = syncUrl;
    this.id = build(root, compact);
    this.state = Object.assign({}, DEFAULTS);
    ["activation", "scale", "hidden", "steps", "seed"].forEach(function (name) {
      var v = parseValue(name, root.getAttribute("data-" + name));
      if (v !== null) self.state[name] = v;
    });
    if (syncUrl) Object.assign(this.state, fromQuery(window.location.search));
    this.controls = {};
    ["activation", "scale", "hidden", "steps", "seed"].forEach(function (name) {
      var el = root.querySelector("#" + self.id + "-" + name);
      if (!el) return;
      self.controls[name] = el;
      el.value = String(self.state[name]);
      el.addEventListener("input", function () { self.fromControl(name); });
      el.addEventListener("change", function () { self.fromControl(name); });
    });
    root.querySelector("form").addEventListener("submit", function (ev) { ev.preventDefault(); });
    var copyLink = root.querySelector(".gtt-ex__copy-link");
    if (copyLink) {
      copyLink.addEventListener("click", function () { self.copy(self.link(), "Link copied"); });
      root.querySelector(".gtt-ex__copy-python").addEventListener("click", function () {
        self.copy(pythonCall(self.state), "Python call copied");
      });
    }
    this.plotBox = root.querySelector(".gtt-ex__plot");
    this.width = 0;
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        if (self.plotBox.clientWidth !== self.width && self.result) self.draw();
      }).observe(this.plotBox);
    }
    this.timings = [];
    this.update();
  }

  Widget.prototype.fromControl = function (name) {
    var el = this.controls[name];
    var v = parseValue(name, el.value);
    if (name === "seed") el.setAttribute("aria-invalid", v === null ? "true" : "false");
    if (v === null || v === this.state[name]) return;
    this.state[name] = v;
    this.update();
    if (this.syncUrl) this.writeUrl();
  };

  Widget.prototype.set = function (params) {
    var self = this;
    Object.keys(params).forEach(function (name) {
      var v = typeof params[name] === "string" ? parseValue(name, params[name]) : params[name];
      if (v === null || v === undefined) throw new Error("invalid " + name + ": " + params[name]);
      self.state[name] = v;
      if (self.controls[name]) self.controls[name].value = String(v);
    });
    this.update();
    if (this.syncUrl) this.writeUrl();
  };

  Widget.prototype.link = function () {
    var base = window.location.href.split(/[?#]/)[0];
    return base + "?" + toQuery(this.state) + (this.root.id ? "#" + this.root.id : "");
  };

  Widget.prototype.fullLink = function () {
    var root = siteRoot();
    return root ? root + "explorer/?" + toQuery(this.state) + "#explorer" : null;
  };

  // Mirror the state in the address bar, at most every 150 ms: a slider dragged across its
  // range fires hundreds of input events, and browsers throttle rapid history updates.
  Widget.prototype.writeUrl = function () {
    var self = this;
    clearTimeout(this.urlTimer);
    this.urlTimer = setTimeout(function () { self.writeUrlNow(); }, 150);
  };

  Widget.prototype.writeUrlNow = function () {
    var url = new URL(window.location.href);
    var query = new URLSearchParams(url.search);
    var mine = new URLSearchParams(toQuery(this.state));
    mine.forEach(function (value, key) { query.set(key, value); });
    url.search = query.toString();
    window.history.replaceState(window.history.state, "", url.toString());
  };

  Widget.prototype.copy = function (text, done) {
    var status = this.root.querySelector(".gtt-ex__status");
    function say(message) {
      status.textContent = message;
      clearTimeout(status._timer);
      status._timer = setTimeout(function () { status.textContent = ""; }, 4000);
    }
    function fallback() {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
      document.body.removeChild(area);
      say(ok ? done : "Copy failed: use the link beside the buttons");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say(done); }, fallback);
    } else {
      fallback();
    }
  };

  Widget.prototype.update = function () {
    var start = performance.now();
    this.result = compute(this.state);
    var computed = performance.now();
    this.draw();
    this.readout();
    this.syncText();
    var end = performance.now();
    this.lastTiming = { compute: computed - start, total: end - start };
    this.timings.push(this.lastTiming);
    if (this.timings.length > 50) this.timings.shift();
  };

  Widget.prototype.syncText = function () {
    var s = this.state;
    var out = function (name, text) {
      var el = this.root.querySelector("#" + this.id + "-" + name + "-value");
      if (el) el.textContent = text;
    }.bind(this);
    out("scale", s.scale.toFixed(2));
    out("hidden", String(s.hidden));
    out("steps", String(s.steps));
    Object.keys(this.controls).forEach(function (name) {
      var el = this.controls[name];
      if (parseValue(name, el.value) !== s[name] && document.activeElement !== el) el.value = String(s[name]);
    }, this);
    var code = this.root.querySelector(".gtt-ex__python code");
    if (code) code.textContent = pythonCall(s);
    var link = this.root.querySelector(".gtt-ex__link");
    if (link) link.href = this.link();
    var lab = this.root.querySelector(".gtt-ex__lab");
    if (lab) {
      var labHref = labUrl(s);
      lab.hidden = !labHref;
      if (labHref) lab.querySelector("a").href = labHref;
      lab.querySelector("code").textContent = labParameters(s);
    }
    var full = this.root.querySelector(".gtt-ex__full");
    if (full) {
      var href = this.fullLink();
      if (href) full.href = href;
      else full.hidden = true;
    }
  };

  Widget.prototype.readout = function () {
    var r = this.result, p = r.params, T = p.steps;
    var first = r.grad_log10[0], last = r.grad_log10[T - 1];
    var dl = this.root.querySelector(".gtt-ex__readout");
    var items = [];
    var zeroUntil = 0;
    while (zeroUntil < T && r.grad_log10[zeroUntil] === -Infinity) zeroUntil++;
    var verdict;
    if (zeroUntil > 0) {
      verdict = "The gradient is exactly 0 for t \u2264 " + zeroUntil + ": at step " + (zeroUntil + 1) +
        " every ReLU unit was off, so nothing flows further back.";
    } else {
      var change = first - last;
      var perStep = Math.pow(10, change / (T - 1));
      var word = change < -2 ? "vanishes" : change > 2 ? "explodes" : "stays within a factor of 100";
      verdict = "Over " + (T - 1) + " steps back the gradient " + word + ": \u00d7\u00a0" +
        perStep.toFixed(3) + " per step on average.";
      if (first < -307.6) {
        verdict += " Its size is below the smallest normal double (about 10<sup>\u2212308</sup>); " +
          "the explorer keeps the power of two aside, so it is still exact.";
      }
    }
    items.push(["\u2016\u2202L/\u2202h<sub>1</sub>\u2016", sciHTML(first) + " <span class=\"gtt-ex__aside\">(\u2016\u2202L/\u2202h<sub>T</sub>\u2016 = " + sciHTML(last) + ")</span>"]);
    items.push(["Bound at t = 1", "(\u03b3\u03c3<sub>max</sub>)<sup>T\u22121</sup> = (" + GAMMA_TEXT[p.activation] + " \u00d7 " + p.scale.toFixed(2) + ")<sup>" + (T - 1) + "</sup> = " + sciHTML(r.bound_log10[0])]);
    items.push(["\u03c3<sub>max</sub>(W)", p.scale.toFixed(2) + " <span class=\"gtt-ex__aside\">(W = s\u00b7Q, Q orthogonal: every singular value is s)</span>"]);
    dl.innerHTML =
      items.map(function (it) { return "<div><dt>" + it[0] + "</dt><dd>" + it[1] + "</dd></div>"; }).join("") +
      '<div class="gtt-ex__verdict"><dt>In words</dt><dd>' + verdict + "</dd></div>";
  };

  // Nice linear ticks for t and decade ticks for the log axis.
  function niceStep(span, maxTicks) {
    var steps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500];
    for (var i = 0; i < steps.length; i++) if (span / steps[i] <= maxTicks) return steps[i];
    return steps[steps.length - 1];
  }

  Widget.prototype.draw = function () {
    var r = this.result, p = r.params, T = p.steps;
    var width = Math.max(240, this.plotBox.clientWidth || 600);
    this.width = this.plotBox.clientWidth;
    var narrow = width < 480;
    var zeros = 0;
    while (zeros < T && r.grad_log10[zeros] === -Infinity) zeros++;
    var aspect = narrow ? 0.7 : this.compact ? 0.42 : 0.5;
    var height = Math.round(Math.min(Math.max(width * aspect, 220), this.compact ? 280 : 360));
    var band = zeros > 0 ? 22 : 0; // a strip under the log axis for norms that are exactly 0
    var m = { left: narrow ? 54 : 66, right: 14, top: 12, bottom: 42 + band };
    var pw = width - m.left - m.right, ph = height - m.top - m.bottom;

    var lo = Infinity, hi = -Infinity, i;
    [r.grad_log10, r.bound_log10].forEach(function (arr) {
      for (i = 0; i < arr.length; i++) {
        if (arr[i] === -Infinity) continue;
        lo = Math.min(lo, arr[i]);
        hi = Math.max(hi, arr[i]);
      }
    });
    var vmin = lo, vmax = hi;
    lo = Math.floor(lo + 1e-9);
    hi = Math.ceil(hi - 1e-9);
    if (hi - lo < 2) {
      lo -= 1;
      hi += 1;
    }
    var dstep = niceStep(hi - lo, Math.max(3, Math.floor(ph / 34)));
    lo = Math.floor((lo + 1e-9) / dstep) * dstep;
    hi = Math.ceil((hi - 1e-9) / dstep) * dstep;
    // Keep the curves off the frame: a little room above and below the data.
    var pad = 0.04 * (hi - lo);
    hi = Math.max(hi, vmax + pad);
    lo = Math.min(lo, vmin - pad);
    var X = function (t) { return m.left + (t / T) * pw; };
    var Y = function (v) { return m.top + (1 - (v - lo) / (hi - lo)) * ph; };

    var svg = [];
    var tstep = niceStep(T, Math.max(3, Math.floor(pw / 64)));
    var v, t;
    for (v = Math.ceil((lo - 1e-9) / dstep) * dstep; v <= hi + 1e-9; v += dstep) {
      var y = Y(v).toFixed(1);
      svg.push('<line class="gtt-ex__grid" x1="' + m.left + '" x2="' + (m.left + pw) + '" y1="' + y + '" y2="' + y + '"/>');
      svg.push('<text class="gtt-ex__tick" x="' + (m.left - 6) + '" y="' + y + '" text-anchor="end" dy="0.35em">10<tspan dy="-0.55em" font-size="0.78em">' + minus(v) + "</tspan></text>");
    }
    for (t = 0; t <= T; t += tstep) {
      var x = X(t).toFixed(1);
      svg.push('<line class="gtt-ex__grid" x1="' + x + '" x2="' + x + '" y1="' + m.top + '" y2="' + (m.top + ph) + '"/>');
      svg.push('<text class="gtt-ex__tick" x="' + x + '" y="' + (m.top + ph + band + 16) + '" text-anchor="middle">' + t + "</text>");
    }
    if (lo <= 0 && hi >= 0) {
      svg.push('<line class="gtt-ex__unit" x1="' + m.left + '" x2="' + (m.left + pw) + '" y1="' + Y(0).toFixed(1) + '" y2="' + Y(0).toFixed(1) + '"/>');
    }
    svg.push('<rect class="gtt-ex__frame" x="' + m.left + '" y="' + m.top + '" width="' + pw + '" height="' + ph + '"/>');
    svg.push('<text class="gtt-ex__axis-label" x="' + (m.left + pw / 2) + '" y="' + (height - 6) + '" text-anchor="middle">time step t (the loss is at t = T = ' + T + ")</text>");
    svg.push('<text class="gtt-ex__axis-label" transform="translate(' + (narrow ? 12 : 14) + " " + (m.top + ph / 2) + ') rotate(-90)" text-anchor="middle">norm, log scale</text>');

    function path(arr) {
      var d = "", pen = false;
      for (var k = 0; k < arr.length; k++) {
        if (arr[k] === -Infinity) {
          pen = false;
          continue;
        }
        d += (pen ? "L" : "M") + X(k + 1).toFixed(1) + " " + Y(arr[k]).toFixed(1);
        pen = true;
      }
      return d;
    }
    svg.push('<path class="gtt-ex__bound" d="' + path(r.bound_log10) + '"/>');
    svg.push('<path class="gtt-ex__grad" d="' + path(r.grad_log10) + '"/>');
    if (zeros > 0) {
      var yz = (m.top + ph + band / 2 + 2).toFixed(1);
      svg.push('<text class="gtt-ex__tick" x="' + (m.left - 6) + '" y="' + yz + '" text-anchor="end" dy="0.35em">0</text>');
      svg.push('<path class="gtt-ex__grad gtt-ex__zero" d="M' + X(1).toFixed(1) + " " + yz + "L" + X(zeros).toFixed(1) + " " + yz +
        (zeros < T ? "L" + X(zeros + 1).toFixed(1) + " " + Y(r.grad_log10[zeros]).toFixed(1) : "") + '"/>');
      svg.push('<text class="gtt-ex__tick" x="' + X(1).toFixed(1) + '" y="' + (Number(yz) - 6).toFixed(1) + '">exactly 0</text>');
    }

    var summary = "Log-scale plot of the gradient norm against the time step t from 1 to " + T + " for " +
      LABELS[p.activation] + " with s = " + p.scale.toFixed(2) + ": it goes from " + formatLog10(r.grad_log10[0]) +
      " at t = 1 to " + formatLog10(r.grad_log10[T - 1]) + " at t = T; the bound starts at " + formatLog10(r.bound_log10[0]) + ".";
    var el = this.root.querySelector(".gtt-ex__svg");
    el.setAttribute("viewBox", "0 0 " + width + " " + height);
    el.setAttribute("width", String(width));
    el.setAttribute("height", String(height));
    el.innerHTML = '<title id="' + this.id + '-title">' + escapeHTML(summary) + "</title>" + svg.join("");
  };

  // ------------------------------------------------------------------ start-up

  function init() {
    api.widgets = api.widgets.filter(function (w) { return w.root.isConnected; });
    var urlTaken = api.widgets.some(function (w) { return w.syncUrl; });
    document.querySelectorAll(".gtt-explorer").forEach(function (root) {
      if (root.gttExplorer) return;
      var flag = root.getAttribute("data-url");
      var sync = flag === "on" || (flag !== "off" && !urlTaken && !root.hasAttribute("data-compact"));
      if (sync) urlTaken = true;
      try {
        var w = new Widget(root, sync);
        root.gttExplorer = w;
        api.widgets.push(w);
      } catch (err) {
        root.insertAdjacentHTML("beforeend", '<p class="gtt-ex__error">The explorer could not start: ' + escapeHTML(err.message) + "</p>");
        throw err;
      }
    });
  }

  if (typeof document$ !== "undefined" && document$.subscribe) {
    document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
