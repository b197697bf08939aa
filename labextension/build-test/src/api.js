"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.QcredClient = exports.QcredError = void 0;
exports.errorText = errorText;
exports.isLoginAnswer = isLoginAnswer;
/**
 * Typed client for the jupyter_qcred REST API (docs/api.md, contract v1).
 *
 * The types are declared with `export type`/`export interface` only, so pure
 * modules (model.ts, stream.ts) can `import type` them without pulling
 * @jupyterlab/services into unit tests.
 */
const coreutils_1 = require("@jupyterlab/coreutils");
const services_1 = require("@jupyterlab/services");
/**
 * An error answered by the server (its `message` is the sentence to show) or a
 * network failure (status 0).
 */
class QcredError extends Error {
    constructor(message, status) {
        super(message);
        this.status = status;
        this.name = 'QcredError';
    }
    /** True when the server could not be reached at all. */
    get unreachable() {
        return this.status === 0;
    }
}
exports.QcredError = QcredError;
const API_PATH = 'qcred';
class QcredClient {
    constructor(settings) {
        this.settings = settings ?? services_1.ServerConnection.makeSettings();
    }
    getStatus() {
        return this.request('status', { method: 'GET' });
    }
    refresh(body = {}) {
        return this.request('refresh', { method: 'POST', body: JSON.stringify(body) });
    }
    /** Status JSON, or `{login}` for `source: "device"`. */
    reinitialize(body) {
        return this.request('reinitialize', { method: 'POST', body: JSON.stringify(body) });
    }
    restart() {
        return this.request('restart', { method: 'POST', body: '{}' });
    }
    setDefault(body) {
        return this.request('default', { method: 'PUT', body: JSON.stringify(body) });
    }
    /**
     * URL of the push channel: `wsUrl + 'qcred/events'`, with the token as a
     * query parameter when the settings hold one (as JupyterLab's own sockets).
     */
    eventsUrl() {
        let url = coreutils_1.URLExt.join(this.settings.wsUrl, API_PATH, 'events');
        const token = this.settings.token;
        if (token) {
            url += `?token=${encodeURIComponent(token)}`;
        }
        return url;
    }
    async request(endpoint, init) {
        const url = coreutils_1.URLExt.join(this.settings.baseUrl, API_PATH, endpoint);
        if (init.body !== undefined) {
            init.headers = { 'Content-Type': 'application/json', ...(init.headers ?? {}) };
        }
        let response;
        try {
            response = await services_1.ServerConnection.makeRequest(url, init, this.settings);
        }
        catch (err) {
            throw new QcredError('The Jupyter server cannot be reached (' +
                errorText(err) +
                '). Check your network connection and that your server is still running.', 0);
        }
        const text = await response.text();
        let data = null;
        if (text) {
            try {
                data = JSON.parse(text);
            }
            catch {
                data = null;
            }
        }
        if (!response.ok) {
            const message = data && typeof data.message === 'string'
                ? data.message
                : response.status === 404
                    ? 'The jupyter_qcred server extension is not enabled on this server. ' +
                        'Install it (pip install jupyter_qcred) and restart the server.'
                    : `The server answered ${response.status} ${response.statusText}.`;
            throw new QcredError(message, response.status);
        }
        return data;
    }
}
exports.QcredClient = QcredClient;
function errorText(err) {
    if (err instanceof Error) {
        return err.message;
    }
    return String(err);
}
/** True for answers of `POST reinitialize {source: "device"}`. */
function isLoginAnswer(answer) {
    return !!answer && typeof answer === 'object' && 'login' in answer;
}
