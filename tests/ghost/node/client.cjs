// Drives the official Ghost Content API client (@tryghost/content-api, pinned in package.json) against a server.
//
//   node client.cjs <base-url> <content-api-key> <calls.json>
//
// calls.json is a JSON list of calls:
//   {"name": "...", "version": "v5.0", "resource": "posts", "method": "browse" | "read",
//    "data": {"slug": "..."} (read only), "options": {...}, "memberToken": "<jwt>" (optional),
//    "reader": "<name>" (optional: an anonymous reader whose X-Reader-Token is kept between its calls),
//    "key": "<another key>" (optional)}
// It prints one JSON list with, per call: name, ok, data (an object, or a list with its meta), error (the Ghost
// error the client threw: name, message, type, code, status), status and the response headers that matter.
// The client is loaded from GHOST_CLIENT_MODULES (the node_modules directory the test set up with `npm ci`).

"use strict";

const fs = require("fs");
const path = require("path");

const modules = process.env.GHOST_CLIENT_MODULES || path.join(__dirname, "node_modules");
const GhostContentAPI = require(path.join(modules, "@tryghost/content-api"));
const axios = require(path.join(modules, "axios"));

const [baseUrl, defaultKey, callsFile] = process.argv.slice(2);
const calls = JSON.parse(fs.readFileSync(callsFile, "utf8"));
const readerTokens = {};
const KEPT_HEADERS = [
  "x-reader-token",
  "content-version",
  "cache-control",
  "vary",
  "etag",
  "access-control-allow-origin",
];

// The client's own request (same params serialisation), plus the reader's X-Reader-Token, remembering the answer's
// status and headers: what a server-side frontend does on behalf of its reader.
function requester(call, record) {
  return ({ url, method, params, headers }) => {
    const sent = Object.assign({}, headers);
    if (call.reader && readerTokens[call.reader]) {
      sent["X-Reader-Token"] = readerTokens[call.reader];
    }
    const remember = (res) => {
      record.status = res.status;
      record.url = res.config && res.config.url;
      record.headers = {};
      for (const name of KEPT_HEADERS) {
        if (res.headers[name] !== undefined) record.headers[name] = res.headers[name];
      }
      if (call.reader && res.headers["x-reader-token"]) {
        readerTokens[call.reader] = res.headers["x-reader-token"];
      }
    };
    return axios[method](url, {
      params,
      paramsSerializer: (parameters) =>
        Object.keys(parameters)
          .map((k) => `${k}=${encodeURIComponent([].concat(parameters[k]).join(","))}`)
          .join("&"),
      headers: sent,
    }).then(
      (res) => {
        remember(res);
        return res;
      },
      (err) => {
        if (err.response) remember(err.response);
        throw err;
      }
    );
  };
}

async function run(call) {
  const record = { name: call.name, ok: false };
  try {
    const api = new GhostContentAPI({
      url: baseUrl,
      key: call.key === undefined ? defaultKey : call.key,
      version: call.version === undefined ? "v5.0" : call.version,
      makeRequest: requester(call, record),
    });
    const endpoint = api[call.resource];
    const method = call.method || "browse";
    const result =
      method === "read"
        ? await endpoint.read(call.data, call.options || {}, call.memberToken)
        : await endpoint.browse(call.options || {}, call.memberToken);
    record.ok = true;
    record.data = Array.isArray(result) ? { list: Array.from(result), meta: result.meta } : result;
  } catch (err) {
    record.error = {
      name: err.name,
      message: err.message,
      type: err.type,
      code: err.code,
      context: err.context,
      status: err.response ? err.response.status : undefined,
    };
  }
  return record;
}

(async () => {
  const results = [];
  for (const call of calls) {
    results.push(await run(call));
  }
  process.stdout.write(JSON.stringify(results));
})().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(2);
});
