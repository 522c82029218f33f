(function () {
"use strict";
var D = JSON.parse(document.getElementById("slim-data").textContent);
var KEEP = 0, STRIP = 1, REMOVE = 2, LINK = 3, UNLISTED = 4;
var COL = ["#9db4c0", "#f2c14e", "#e4572e", "#7b61d1", "#e3e7eb"];
var PALE = "#f8e2a6";
var ACT = ["left alone", "shrunk by strip", "removed by a rule", "linked (duplicate)",
	"unchanged, not listed"];
var W = D.dry ? "would be " : "";
var T = D.totals;

function fb(n) {
	var u = ["KiB", "MiB", "GiB", "TiB", "PiB"], v = n / 1024, i = 0;
	if (n < 1024)
		return n + " B";
	while (v >= 1024 && i < u.length - 1) {
		v /= 1024;
		i++;
	}
	return v.toFixed(1) + " " + u[i];
}
function pct(a, b) { return b ? (100 * a / b).toFixed(1) + "%" : "\u2013"; }
/* A path as people should see it: control bytes and bytes of invalid UTF-8
 * (\udcXX, Python's surrogateescape) as \xNN. */
function shown(s) {
	return String(s).replace(/[\u0000-\u001f\u007f]|(?<![\ud800-\udbff])[\udc80-\udcff]/g,
		function (c) {
			var x = c.charCodeAt(0) & 0xff;
			return "\\x" + (x < 16 ? "0" : "") + x.toString(16);
		});
}
/* A path below the one root given, as the part below it (the header names it). */
function short(p) {
	var r = D.roots.length === 1 ? D.roots[0].replace(/\/+$/, "") + "/" : null;
	return shown(r && r !== "/" && p.indexOf(r) === 0 && p.length > r.length ?
		p.slice(r.length) : p);
}
function el(tag, cls, text) {
	var e = document.createElement(tag);
	if (cls)
		e.className = cls;
	if (text !== undefined && text !== null)
		e.textContent = text;
	return e;
}
function td(text, cls) { return el("td", cls, text); }
function kindAct(k) { return k === 0 ? STRIP : k === 3 ? LINK : REMOVE; }
function pkgName(p) { return shown(p[0]); }

/* ---- GPU code (CUDA fat binaries): a colour per architecture ---- */
var G = D.gpu, SASS = 0, PTX = 1, GKIND = ["SASS", "PTX", "other"];
var HUE = ["#3a7dc9", "#3fa34d", "#c45ab3", "#1fb5b0", "#8a6a4f", "#98b83b", "#2f4e8c",
	"#e08dc4", "#5fb6e8", "#2e7d5b", "#b4875a", "#66702c", "#7fcf9a", "#6f7fa0"];
var GREY = "#bdb8b1", ARCH = archColours(), GFILE = new Map();
G.files.forEach(function (f) { GFILE.set(f[0], f); });

/* c mixed with black (to 0) or white (to 255), t of the way. */
function mix(c, to, t) {
	var v = parseInt(c.slice(1), 16), out = "#";
	[16, 8, 0].forEach(function (s) {
		var x = Math.round((v >> s & 255) * (1 - t) + to * t);
		out += (x < 16 ? "0" : "") + x.toString(16);
	});
	return out;
}
/* Text that reads on background c. */
function ink(c) {
	var v = parseInt(c.slice(1), 16);
	return 0.299 * (v >> 16) + 0.587 * (v >> 8 & 255) + 0.114 * (v & 255) > 150 ?
		"#1f2933" : "#fff";
}
/* One colour for each GPU (sm_90), in architecture order; its variants
 * (sm_90a, sm_100f) in a darker shade of it. */
function archColours() {
	var base = new Map(), out = new Map();
	G.rows.forEach(function (r) {
		var b = r[0].replace(/[a-z]$/, "");
		if (r[1] > PTX || out.has(r[0]))
			return;
		if (!base.has(b))
			base.set(b, HUE[base.size % HUE.length]);
		out.set(r[0], b === r[0] ? base.get(b) : mix(base.get(b), 0, 0.3));
	});
	return out;
}
/* A row's colour: PTX in a lighter shade of its architecture's, other kinds grey. */
function gpuColour(r) {
	var c = r[1] > PTX ? GREY : ARCH.get(r[0]) || GREY;
	return r[1] === PTX ? mix(c, 255, 0.5) : c;
}
/* A file's GPU code as pieces to lay out: each row, what --cuda-arch
 * removes of it apart. */
function gpuPieces(g) {
	var out = [];
	g[3].forEach(function (r) {
		if (r[2] > r[3])
			out.push({ v: r[2] - r[3], r: r, gone: false });
		if (r[3] > 0)
			out.push({ v: r[3], r: r, gone: true });
	});
	return out.sort(function (a, b) { return b.v - a.v; });
}
function gpuName(r) { return r[0] + (r[1] === SASS ? "" : " " + GKIND[r[1]]); }

/* ---- the tree: package, directories, file ---- */
function mk(name, kind, parent) {
	return { name: name, kind: kind, parent: parent, v: 0, saved: 0, n: 0,
		acts: [0, 0, 0, 0, 0], map: new Map(), kids: [], it: null };
}
function child(n, key, name, kind) {
	var c = n.map.get(key);
	if (!c) {
		c = mk(name, kind, n);
		n.map.set(key, c);
	}
	return c;
}
function add(n, it) {
	n.v += it[3];
	n.saved += it[4];
	n.acts[it[5]] += it[3];
	n.n++;
}
function finish(n) {
	n.kids = Array.from(n.map.values());
	n.map = null;
	n.kids.forEach(finish);
	/* one directory holding only one directory: show them as one */
	while (n.kind === "dir" && n.kids.length === 1 && n.kids[0].kind === "dir") {
		n.name += "/" + n.kids[0].name;
		n.kids = n.kids[0].kids;
		n.kids.forEach(function (k) { k.parent = n; });
	}
	n.kids.sort(function (a, b) { return b.v - a.v || (a.name < b.name ? -1 : 1); });
}
function build() {
	var root = mk("all packages", "root", null);
	D.items.forEach(function (it) {
		var pre = D.prefixes[it[1]], p = it[2], rel, parts, cur, i;
		if (it[3] <= 0)
			return;
		rel = p.indexOf(pre) === 0 ? p.slice(pre.length) : p;
		parts = rel.split("/").filter(function (s) { return s.length > 0; });
		if (!parts.length)
			parts = [p];
		add(root, it);
		cur = child(root, "p" + it[0], pkgName(D.pkgs[it[0]]), "pkg");
		cur.pkg = D.pkgs[it[0]];
		add(cur, it);
		for (i = 0; i < parts.length - 1; i++) {
			cur = child(cur, "d" + parts[i], shown(parts[i]), "dir");
			add(cur, it);
		}
		cur = child(cur, "f" + parts[i], shown(parts[i]), "leaf");
		cur.it = it;
		cur.gpu = GFILE.get(p) || null;
		cur.gp = cur.gpu ? gpuPieces(cur.gpu) : null;
		add(cur, it);
	});
	if (D.acct.done) {
		/* each package's files the report does not list, inside the package */
		D.pkgs.forEach(function (p, i) {
			var rest = p[8] - p[4], pk, u;
			if (rest <= 0)
				return;
			pk = child(root, "p" + i, pkgName(p), "pkg");
			pk.pkg = p;
			u = child(pk, "u", "unchanged files, not listed", "unlisted");
			[pk, u, root].forEach(function (n) {
				n.v += rest;
				n.acts[UNLISTED] += rest;
			});
		});
	} else if (T.unlisted > 0) {
		var u = child(root, "u", "unchanged files, not listed", "unlisted");
		u.v = T.unlisted;
		u.acts[UNLISTED] = T.unlisted;
		root.v += T.unlisted;
	}
	finish(root);
	return root;
}

/* ---- squarified treemap (Bruls, Huizing, van Wijk) ---- */
function squarify(kids, x, y, w, h, cb) {
	var total = 0, i = 0, n = kids.length, scale;
	kids.forEach(function (k) { total += k.v; });
	if (total <= 0 || w <= 0 || h <= 0)
		return;
	scale = w * h / total;
	while (i < n) {
		var side = Math.min(w, h), j = i, sum = 0, best = Infinity, lo = Infinity, hi = 0;
		while (j < n) {
			var a = kids[j].v * scale, s = sum + a;
			var lo2 = Math.min(lo, a), hi2 = Math.max(hi, a);
			var worst = Math.max(side * side * hi2 / (s * s), s * s / (side * side * lo2));
			if (j > i && worst > best)
				break;
			best = worst;
			sum = s;
			lo = lo2;
			hi = hi2;
			j++;
		}
		var thick = sum / side, off = 0, k;
		for (k = i; k < j; k++) {
			var len = kids[k].v * scale / thick;
			if (w >= h)
				cb(kids[k], x, y + off, thick, len);
			else
				cb(kids[k], x + off, y, len, thick);
			off += len;
		}
		if (w >= h) {
			x += thick;
			w -= thick;
		} else {
			y += thick;
			h -= thick;
		}
		i = j;
	}
}

var ROOT = build();
var cv = document.getElementById("cv"), ctx = cv.getContext("2d");
var box = document.getElementById("tm"), tip = document.getElementById("tip");
var hits = [], zoom = [ROOT], withUnlisted = true;

function visible(n) {
	return n.kids.filter(function (k) {
		return withUnlisted || (k.kind !== "unlisted" && k.acts[UNLISTED] < k.v);
	});
}
function dominant(n) {
	var best = 0, i;
	for (i = 1; i < 5; i++)
		if (n.acts[i] > n.acts[best])
			best = i;
	return best;
}
function text(s, x, y, maxw, color, bold) {
	ctx.font = (bold ? "600 " : "") + "12px system-ui, 'DejaVu Sans', sans-serif";
	ctx.fillStyle = color;
	if (ctx.measureText(s).width > maxw) {
		while (s.length > 1 && ctx.measureText(s + "\u2026").width > maxw)
			s = s.slice(0, -1);
		s += "\u2026";
	}
	if (maxw > 14)
		ctx.fillText(s, x, y);
}
/* Rectangle [x, y, w, h] cut along its long side: the first f of it, and the rest. */
function cut(x, y, w, h, f) {
	var k;
	if (h >= w) {
		k = Math.round(h * f);
		return [[x, y, w, k], [x, y + k, w, h - k]];
	}
	k = Math.round(w * f);
	return [[x, y, k, h], [x + k, y, w - k, h]];
}
/* Stripes over what --cuda-arch removes, edged in the colour of removal. */
function stripes(x, y, w, h) {
	var i;
	ctx.save();
	ctx.beginPath();
	ctx.rect(x, y, w, h);
	ctx.clip();
	ctx.strokeStyle = "rgba(255,255,255,.75)";
	ctx.lineWidth = 2;
	ctx.beginPath();
	for (i = -h; i < w; i += 6) {
		ctx.moveTo(x + i, y + h);
		ctx.lineTo(x + i + h, y);
	}
	ctx.stroke();
	ctx.restore();
	if (w > 3 && h > 3) {
		ctx.strokeStyle = COL[REMOVE];
		ctx.lineWidth = 1;
		ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
	}
}
/* A file's GPU code in rectangle q, a piece for each architecture and kind. */
function gpuPart(n, q) {
	ctx.fillStyle = "#fff";
	ctx.fillRect(q[0], q[1], q[2], q[3]);
	squarify(n.gp, q[0], q[1], q[2], q[3], function (p, x, y, w, h) {
		var X = Math.round(x), Y = Math.round(y), c = gpuColour(p.r);
		var Wd = Math.round(x + w) - X, Ht = Math.round(y + h) - Y, gap = Wd > 4 && Ht > 4;
		if (Wd < 1 || Ht < 1)
			return;
		hits.push({ n: n, g: p, x: X, y: Y, w: Wd, h: Ht });
		ctx.fillStyle = c;
		ctx.fillRect(X, Y, Wd - gap, Ht - gap);
		if (p.gone)
			stripes(X, Y, Wd - gap, Ht - gap);
		if (Wd > 44 && Ht > 30)
			text(gpuName(p.r), X + 4, Y + Ht - 7, Wd - 8, ink(c), false);
	});
}
/* The parts of a file: its GPU code at the end of its long side, and what
 * stripping keeps of the rest (host code and data) in a paler shade. */
function fileParts(n, x, y, w, h) {
	var it = n.it, dev = 0, host, q, k;
	if (n.gpu && (it[5] === KEEP || it[5] === STRIP))
		dev = Math.min(n.gpu[1], it[3]);
	host = it[3] - dev;
	q = cut(x, y, w, h, host / it[3]);
	if (it[5] === STRIP && it[4] < it[3] && host > 0) {
		k = cut(q[0][0], q[0][1], q[0][2], q[0][3], Math.min(it[4], host) / host)[1];
		ctx.fillStyle = PALE;
		ctx.fillRect(k[0], k[1], k[2], k[3]);
	}
	if (dev > 0 && q[1][2] > 0 && q[1][3] > 0)
		gpuPart(n, q[1]);
	return dev > 0;
}
/* A label that stays readable over the colours of GPU code. */
function plate(x, y, w, lines) {
	ctx.font = "12px system-ui, 'DejaVu Sans', sans-serif";
	ctx.fillStyle = "rgba(255,255,255,.8)";
	ctx.fillRect(x + 2, y + 2, Math.min(w - 4, Math.max.apply(null, lines.map(function (s) {
		return ctx.measureText(s).width;
	})) + 5), lines.length * 14 + 3);
}
function fillNode(n, x, y, w, h) {
	var a = n.kind === "unlisted" ? UNLISTED : dominant(n), dark = a === REMOVE || a === LINK;
	ctx.fillStyle = COL[a];
	ctx.fillRect(x, y, Math.max(w - 1, 1), Math.max(h - 1, 1));
	if (n.it && w > 2 && h > 2 && fileParts(n, x, y, w - 1, h - 1) && w > 44 && h > 16) {
		plate(x, y, w, h > 32 ? [n.name, fb(n.v)] : [n.name]);
		dark = false;
	}
	if (n.kind === "unlisted") {
		if (w > 120 && h > 40) {
			text(n.name, x + 8, y + 18, w - 16, "#52606d", true);
			text(fb(n.v) + (D.acct.done ? " \u2014 files slim leaves alone" : " \u2014 not split by package"), x + 8, y + 34, w - 16, "#7b8794");
		}
		return;
	}
	if (w > 44 && h > 16)
		text(n.name, x + 4, y + 13, w - 8, dark ? "#fff" : "#1f2933", false);
	if (w > 44 && h > 32)
		text(fb(n.v), x + 4, y + 27, w - 8, dark ? "rgba(255,255,255,.8)" : "rgba(31,41,51,.7)");
}
function drawNode(n, x, y, w, h) {
	var X = Math.round(x), Y = Math.round(y);
	var Wd = Math.round(x + w) - X, Ht = Math.round(y + h) - Y, head, pad, label;
	hits.push({ n: n, x: X, y: Y, w: Wd, h: Ht });
	if (Wd < 1 || Ht < 1)
		return;
	if (!n.kids.length || Wd < 8 || Ht < 8) {
		fillNode(n, X, Y, Wd, Ht);
		return;
	}
	head = Wd > 40 && Ht > 36 ? 18 : 0;
	pad = 2;
	ctx.fillStyle = n.kind === "pkg" ? "#243447" : "#cdd5dd";
	ctx.fillRect(X, Y, Wd - 1, Ht - 1);
	ctx.fillStyle = "#fff";
	ctx.fillRect(X + 1, Y + (head || 1), Wd - 3, Ht - (head || 1) - 2);
	if (head) {
		label = n.name + (n.kind === "pkg" && n.pkg[1] ? " (" + n.pkg[1] + ")" : "") +
			"  " + fb(n.v) + (n.saved ? ", saves " + fb(n.saved) : "");
		text(label, X + 5, Y + 13, Wd - 10, n.kind === "pkg" ? "#fff" : "#243447",
			n.kind === "pkg");
	}
	squarify(n.kids, X + pad, Y + (head || pad), Wd - 2 * pad, Ht - (head || pad) - pad,
		drawNode);
}
function draw() {
	var w = box.clientWidth, h = box.clientHeight, dpr = window.devicePixelRatio || 1;
	var top = zoom[zoom.length - 1];
	cv.width = Math.round(w * dpr);
	cv.height = Math.round(h * dpr);
	cv.style.width = w + "px";
	cv.style.height = h + "px";
	ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
	ctx.fillStyle = "#fff";
	ctx.fillRect(0, 0, w, h);
	hits = [];
	squarify(visible(top), 0, 0, w, h, drawNode);
	if (!hits.length)
		text("nothing to show: no file was listed", 12, 24, w - 24, "#616e7c");
	crumbs();
}
function crumbs() {
	var c = document.getElementById("crumbs");
	c.textContent = "";
	zoom.forEach(function (n, i) {
		if (i)
			c.appendChild(document.createTextNode(" \u203a "));
		if (i < zoom.length - 1) {
			var a = el("a", null, n.name);
			a.onclick = function () {
				zoom = zoom.slice(0, i + 1);
				draw();
			};
			c.appendChild(a);
		} else {
			c.appendChild(el("b", null, n.name));
		}
	});
}
function hitAt(e) {
	var r = cv.getBoundingClientRect(), mx = e.clientX - r.left, my = e.clientY - r.top, i;
	for (i = hits.length - 1; i >= 0; i--) {
		var h = hits[i];
		if (mx >= h.x && mx < h.x + h.w && my >= h.y && my < h.y + h.h)
			return { n: h.n, g: h.g, x: mx, y: my };
	}
	return null;
}
function leafLines(it) {
	var act = it[5], k = it[6], x = it[7], out = [fb(it[3])];
	if (act === STRIP)
		out.push(W + "stripped: saves " + fb(it[4]) + " (" + pct(it[4], it[3]) + "), " +
			D.kinds[k][1]);
	else if (act === REMOVE)
		out.push(W + "removed by " + (x >= 0 ? D.rules[x] : "a rule") + " (" + D.kinds[k][1] + ")");
	else if (act === LINK)
		out.push("a duplicate: " + W + "linked to the kept copy, saves " + fb(it[4]));
	else
		out.push("left alone: " + (D.reasons[x] || "unchanged"));
	out.push("package: " + pkgName(D.pkgs[it[0]]));
	return out;
}
/* The piece of GPU code p: its row, and what --cuda-arch does to it. */
function pieceLine(p) {
	var r = p.r;
	return "GPU code " + gpuName(r) + ": " + fb(p.v) + (p.v < r[2] ? " of " + fb(r[2]) : "") +
		(p.gone ? ", " + W + "removed by --cuda-arch" : G.cuda.length ? ", kept" : "");
}
/* What a file holds of GPU code. */
function gpuLines(f) {
	var out = [], sum = new Map();
	f[3].forEach(function (r) { sum.set(r[0], (sum.get(r[0]) || 0) + r[2]); });
	out.push("GPU code: " + fb(f[1]) + " (" + Array.from(sum, function (x) {
		return x[0] + " " + fb(x[1]);
	}).join(", ") + ")");
	if (f[2])
		out.push("--cuda-arch: " + fb(f[2]) + " of it " + W + "removed");
	return out;
}
function nodeLines(n) {
	if (n.kind === "unlisted")
		return [fb(n.v), "Files slim leaves as they are. The report does not list them, " +
			"so how they split by package and directory is not known."];
	return [fb(n.v) + " listed in " + n.n + " path" + (n.n === 1 ? "" : "s"),
		n.saved ? W + "saved: " + fb(n.saved) + " (" + pct(n.saved, n.v) + ")" : "nothing saved",
		"click to zoom in"];
}
function showTip(h) {
	var n = h.n, lines, title;
	tip.textContent = "";
	title = n.it ? shown(n.it[2]) : n.kind === "pkg" ?
		n.name + (n.pkg[1] ? " (" + n.pkg[1] + " package)" : "") : n.name;
	tip.appendChild(el("b", null, title));
	lines = n.it ? leafLines(n.it) : nodeLines(n);
	if (n.gpu)
		lines = (h.g ? [pieceLine(h.g)] : []).concat(lines, gpuLines(n.gpu));
	lines.forEach(function (l, i) { tip.appendChild(el("div", i ? "m" : null, l)); });
	tip.style.display = "block";
	var bw = box.clientWidth, bh = box.clientHeight, tw = tip.offsetWidth, th = tip.offsetHeight;
	tip.style.left = Math.max(4, Math.min(h.x + 14, bw - tw - 4)) + "px";
	tip.style.top = Math.max(4, h.y + 16 + th > bh ? h.y - th - 10 : h.y + 16) + "px";
}
cv.addEventListener("mousemove", function (e) {
	var h = hitAt(e);
	if (h)
		showTip(h);
	else
		tip.style.display = "none";
});
cv.addEventListener("mouseleave", function () { tip.style.display = "none"; });
cv.addEventListener("click", function (e) {
	var h = hitAt(e), n, top = zoom[zoom.length - 1];
	if (!h)
		return;
	for (n = h.n; n && n.parent !== top; n = n.parent)
		;
	if (n && n.kids.length) {
		zoom.push(n);
		tip.style.display = "none";
		draw();
	}
});
document.getElementById("unl").addEventListener("change", function (e) {
	withUnlisted = e.target.checked;
	draw();
});
window.addEventListener("resize", draw);

/* ---- legend, cards and tables ---- */
function legend() {
	var g = document.getElementById("legend");
	[REMOVE, STRIP, LINK, KEEP, UNLISTED].forEach(function (a) {
		if (a === UNLISTED && !T.unlisted)
			return;
		if (!ROOT.acts[a] && a !== UNLISTED)
			return;
		var s = el("span");
		var sw = el("i", "sw");
		sw.style.background = COL[a];
		s.appendChild(sw);
		s.appendChild(document.createTextNode(ACT[a]));
		g.appendChild(s);
		if (a === STRIP) {
			s = el("span");
			sw = el("i", "sw");
			sw.style.background = PALE;
			s.appendChild(sw);
			s.appendChild(document.createTextNode("what stripping keeps"));
			g.appendChild(s);
		}
	});
	if (!T.unlisted)
		document.getElementById("unl").parentNode.style.display = "none";
}
/* An entry of a legend: swatches (colours; "gone": striped) and text. */
function key(g, colours, what, title) {
	var s = el("span");
	colours.forEach(function (c) {
		var sw = el("i", c === "gone" ? "sw gone" : "sw");
		if (c !== "gone")
			sw.style.background = c;
		s.appendChild(sw);
	});
	s.appendChild(document.createTextNode(what));
	if (title)
		s.title = title;
	g.appendChild(s);
	return s;
}
/* The GPU code by architecture: its colours (a lighter one for PTX), bytes
 * and what --cuda-arch removes of it. */
function gpuLegend() {
	var g = document.getElementById("gpu-legend"), by = new Map(), other = 0, ptx = null;
	if (!G.bytes)
		return;
	g.hidden = false;
	document.getElementById("gpu-note").hidden = false;
	G.rows.forEach(function (r) {
		var a = by.get(r[0]) || { c: [], bytes: 0, gone: 0, parts: [] };
		if (r[1] > PTX) {
			other += r[2];
			return;
		}
		a.c.push(gpuColour(r));
		a.bytes += r[2];
		a.gone += r[3];
		a.parts.push(GKIND[r[1]] + " " + fb(r[2]) + (r[3] ? ", " + fb(r[3]) + " " + W +
			"removed" : ""));
		ptx = ptx || (r[1] === PTX ? gpuColour(r) : null);
		by.set(r[0], a);
	});
	g.appendChild(el("b", null, "GPU code, " + fb(G.bytes) + " in " + G.files.length +
		" file" + (G.files.length === 1 ? "" : "s") +
		(G.incomplete ? " (some only partly read)" : "") + ":"));
	by.forEach(function (a, name) {
		var s = key(g, a.c, name + " " + fb(a.bytes), a.parts.join("; "));
		s.className = "arch";
		if (a.gone) {
			s.appendChild(el("i", "sw gone"));
			s.appendChild(document.createTextNode(fb(a.gone)));
		}
	});
	if (ptx)
		key(g, [ptx], "lighter: PTX");
	if (other)
		key(g, [GREY], "other entries " + fb(other));
	if (G.cuda.length)
		key(g, ["gone"], W + "removed by --cuda-arch " + G.cuda.join(",") + ": " +
			fb(G.removed));
}
function card(k, v, s, cls) {
	var c = el("div", "card" + (cls ? " " + cls : ""));
	c.appendChild(el("div", "k", k));
	c.appendChild(el("div", "v", v));
	if (s)
		c.appendChild(el("div", "s", s));
	document.getElementById("cards").appendChild(c);
	return c;
}
function cards() {
	var after = T.before - T.saved, c, st;
	card("Before", fb(T.before), T.files + " regular files");
	card(D.dry ? "After (would be)" : "After", fb(after), "\u2212" + pct(T.saved, T.before) +
		" of the bytes");
	c = card(D.dry ? "Would save" : "Saved", fb(T.saved), T.changes + " changes, " +
		T.skips + " files left alone", "good");
	st = el("div", "stack");
	[REMOVE, STRIP, LINK].forEach(function (a) {
		var part = 0;
		D.kind_bytes.forEach(function (b, k) { if (kindAct(k) === a) part += b; });
		var i = el("i");
		i.style.background = COL[a];
		i.style.width = (T.before ? 100 * part / T.before : 0) + "%";
		st.appendChild(i);
	});
	c.appendChild(st);
	if (T.layer)
		card("Compressed layer", fb(T.comp_before) + (T.comp_after ? " \u2192 " +
			fb(T.comp_after) : ""), (T.codec_before && T.codec_after ? (T.codec_before ===
			T.codec_after ? "both " + T.codec_before : T.codec_before + " \u2192 " +
			T.codec_after + ", not like for like") + "; " : "") + "tar stream " +
			fb(T.tar_before) + (T.tar_after ? " \u2192 " + fb(T.tar_after) : ""));
	else
		card("Packages", String(D.pkgs.filter(function (p) { return p[1] && p[1] !== "other"; }).length),
			D.acct.done ? "(other): " + fb(otherBytes()) + ", " + pct(otherBytes(), T.before) :
			T.owners ? "from *.dist-info/RECORD and package.json" :
			"no *.dist-info or node_modules found");
}
function kindsTable() {
	var t = document.getElementById("kinds"), max = 0, tr, files = 0;
	D.kind_bytes.forEach(function (b) { max = Math.max(max, b); });
	tr = el("tr");
	["kind", "changes", "bytes", ""].forEach(function (h, i) {
		tr.appendChild(el("th", i === 1 || i === 2 ? "n" : null, h));
	});
	t.appendChild(tr);
	D.kinds.forEach(function (k, i) {
		if (!D.kind_files[i])
			return;
		files += D.kind_files[i];
		tr = el("tr");
		var name = td(k[1]), sw = el("i", "sw"), bar = el("div", "hbar"), b = td();
		sw.style.background = COL[kindAct(i)];
		name.insertBefore(sw, name.firstChild);
		tr.appendChild(name);
		tr.appendChild(td(String(D.kind_files[i]), "n"));
		tr.appendChild(td(fb(D.kind_bytes[i]), "n"));
		bar.style.background = COL[kindAct(i)];
		bar.style.width = (max ? 100 * D.kind_bytes[i] / max : 0) + "%";
		b.style.width = "26%";
		b.appendChild(bar);
		tr.appendChild(b);
		t.appendChild(tr);
	});
	if (!files) {
		t.parentNode.appendChild(el("div", "empty", "slim " + (D.dry ? "would change" :
			"changed") + " nothing."));
		return;
	}
	tr = el("tr", "tot");
	tr.appendChild(td("total"));
	tr.appendChild(td(String(files), "n"));
	tr.appendChild(td(fb(T.saved), "n"));
	tr.appendChild(td(pct(T.saved, T.before) + " of all"));
	t.appendChild(tr);
}
function kindsText(p) {
	return p[6].map(function (b, k) { return [b, k]; })
		.filter(function (x) { return x[0] > 0; })
		.sort(function (a, b) { return b[0] - a[0]; })
		.map(function (x) { return D.kinds[x[1]][1] + " " + fb(x[0]); }).join(", ");
}
function pkgsTable() {
	var t = document.getElementById("pkgs"), max = 0, tr;
	D.pkgs.forEach(function (p) { max = Math.max(max, p[5]); });
	tr = el("tr");
	[D.acct.done ? "package" : "package", D.acct.done ? "size" : "listed", "saves", ""].forEach(function (h, i) {
		tr.appendChild(el("th", i === 1 || i === 2 ? "n" : null, h));
	});
	t.appendChild(tr);
	D.pkgs.forEach(function (p) {
		var name = td(pkgName(p)), mini = el("div", "mini"), c = td(), what = kindsText(p);
		tr = el("tr");
		if (p[1] && p[1] !== "other")
			name.appendChild(el("span", "tag", p[1]));
		name.appendChild(el("span", "sub", (D.acct.done ? p[7] + " files; " : "") +
			(what || "nothing to save")));
		tr.appendChild(name);
		tr.appendChild(td(fb(D.acct.done ? p[8] : p[4]), "n"));
		tr.appendChild(td(fb(p[5]), "n"));
		[REMOVE, STRIP, LINK].forEach(function (a) {
			var part = 0, i = el("i");
			p[6].forEach(function (b, k) { if (kindAct(k) === a) part += b; });
			i.style.background = COL[a];
			i.style.width = (max ? 100 * part / max : 0) + "%";
			mini.appendChild(i);
		});
		c.appendChild(mini);
		tr.appendChild(c);
		t.appendChild(tr);
	});
	if (!D.pkgs.length)
		t.parentNode.appendChild(el("div", "empty", "No file was listed."));
}
function filesTable() {
	var t = document.getElementById("files"), tr;
	var top = D.items.filter(function (it) { return it[4] > 0; })
		.sort(function (a, b) { return b[4] - a[4] || (a[2] < b[2] ? -1 : 1); }).slice(0, 25);
	tr = el("tr");
	["path", "size", "saves", "what"].forEach(function (h, i) {
		tr.appendChild(el("th", i === 1 || i === 2 ? "n" : null, h));
	});
	t.appendChild(tr);
	top.forEach(function (it) {
		var what = td(ACT[it[5]]), sw = el("i", "sw");
		tr = el("tr");
		var p = td(short(it[2]), "p");
		p.appendChild(el("span", "sub", pkgName(D.pkgs[it[0]])));
		tr.appendChild(p);
		tr.appendChild(td(fb(it[3]), "n"));
		tr.appendChild(td(fb(it[4]), "n"));
		sw.style.background = COL[it[5]];
		what.insertBefore(sw, what.firstChild);
		what.appendChild(el("span", "sub", it[5] === REMOVE && it[7] >= 0 ? D.rules[it[7]] :
			D.kinds[it[6]][1]));
		tr.appendChild(what);
		t.appendChild(tr);
	});
	if (!top.length)
		t.parentNode.appendChild(el("div", "empty", "Nothing saved."));
}
function dupsTable() {
	var t = document.getElementById("dups"), tr;
	tr = el("tr");
	["kept copy", "size", "copies", "wasted"].forEach(function (h, i) {
		tr.appendChild(el("th", i ? "n" : null, h));
	});
	t.appendChild(tr);
	D.dups.forEach(function (d) {
		tr = el("tr");
		var p = td(short(d[0]), "p");
		p.appendChild(el("span", "sub", d[1] && d[4] && !d[3] ?
			"ELF shared objects: linked only with --dedup-elf" :
			d[3] ? (D.dry ? "would be linked" : "linked") : "reported, not linked"));
		tr.appendChild(p);
		tr.appendChild(td(fb(d[1]), "n"));
		tr.appendChild(td(String(d[2]), "n"));
		tr.appendChild(td(fb(d[1] * d[2]), "n"));
		t.appendChild(tr);
	});
	if (!D.dups.length)
		t.parentNode.appendChild(el("div", "empty", "No duplicate files."));
	else if (T.dup_groups > D.dups.length)
		t.parentNode.appendChild(el("div", "empty", "The " + D.dups.length + " largest of " +
			T.dup_groups + " groups."));
}
function otherBytes() {
	var o = 0;
	D.pkgs.forEach(function (p) { if (p[1] === "other") o += p[8]; });
	return o;
}
/* A table of rows: head names, and for each row its cells ([text, class]). */
function table(id, head, rows, numeric) {
	var t = document.getElementById(id), tr = el("tr");
	head.forEach(function (h, i) { tr.appendChild(el("th", numeric[i] ? "n" : null, h)); });
	t.appendChild(tr);
	rows.forEach(function (r) {
		tr = el("tr");
		r.forEach(function (c, i) {
			var cell = td(c[0], numeric[i] ? "n" : c[2] || null);
			if (c[1])
				cell.appendChild(el("span", "sub", c[1]));
			tr.appendChild(cell);
		});
		t.appendChild(tr);
	});
	return t;
}
function acctTables() {
	var A = D.acct, dirs;
	if (!A.done) {
		document.getElementById("acct").hidden = true;
		return;
	}
	/* a tree: each directory under its parent, the larger sibling first */
	var size = new Map();
	A.dirs.forEach(function (d) { size.set(d[0], d[3]); });
	dirs = A.dirs.slice().sort(function (a, b) {
		var x = a[0].split("/"), y = b[0].split("/"), i = 0, px, py, sx, sy;
		while (i < x.length && i < y.length && x[i] === y[i])
			i++;
		if (i === x.length || i === y.length)
			return x.length - y.length;
		px = x.slice(0, i + 1).join("/");
		py = y.slice(0, i + 1).join("/");
		sx = size.get(px) || 0;
		sy = size.get(py) || 0;
		return sy - sx || (px < py ? -1 : 1);
	});
	table("dirs", ["directory", "files", "size", "saves"], dirs.map(function (d) {
		var pad = new Array(Math.max(0, d[1] - 1) * 2 + 1).join("\u00a0");
		return [[pad + (d[0] === "." ? "(top)" : shown(d[1] > 1 ? d[0].slice(d[0].lastIndexOf("/") + 1) : d[0]) + "/"), null, "p"],
			[String(d[2])], [fb(d[3])], [d[4] ? fb(d[4]) : ""]];
	}), [false, true, true, true]);
	if (A.ndirs > A.dirs.length)
		document.getElementById("dirs").parentNode.appendChild(el("div", "empty",
			"The " + A.dirs.length + " largest of " + A.ndirs + " directories (down to three levels)."));
	table("big", ["file", "size", "saves"], A.big.map(function (b) {
		return [[short(b[0]), shown(b[3]) + (b[4] !== "other" ? " (" + b[4] + ")" : ""), "p"],
			[fb(b[1])], [b[2] ? fb(b[2]) : ""]];
	}), [false, true, true]);
	table("fkinds", ["kind", "files", "size", "of all"], A.fkinds.filter(function (k) { return k[1]; })
		.sort(function (a, b) { return b[2] - a[2]; }).map(function (k) {
			return [[k[0]], [String(k[1])], [fb(k[2])], [pct(k[2], T.before)]];
		}), [false, true, true, true]);
}
function layersTable() {
	if (!D.layers.length)
		return;
	document.getElementById("layers-panel").hidden = false;
	table("layers", ["layer", "digest", "tar", "stored", "superseded"], D.layers.map(function (l) {
		var d = l[3] && l[3] !== l[2] ? shown(l[2]).slice(0, 19) + " \u2192 " + shown(l[3]).slice(0, 19) :
			shown(l[2] || "").slice(0, 19);
		return [[shown(l[0]) + " #" + l[1], l[9] ? "kept as it was" : l[10] ? "counted above" : null],
			[d, null, "p"],
			[fb(l[4]) + (l[5] && l[5] !== l[4] ? " \u2192 " + fb(l[5]) : "")],
			[fb(l[6]) + (l[7] && l[7] !== l[6] ? " \u2192 " + fb(l[7]) : "")],
			[l[8] ? fb(l[8]) : "0"]];
	}), [false, false, true, true, true]);
}
function notes() {
	var n = document.getElementById("unl-bytes");
	if (n)
		n.textContent = fb(T.unlisted);
}

legend();
gpuLegend();
cards();
kindsTable();
pkgsTable();
acctTables();
layersTable();
filesTable();
dupsTable();
notes();
draw();
})();
