/*
    Coursehost's LMS library for ADL's CATAPULT LMS Test Suite (adlnet/CATAPULT lts/,
    lib/lms.template.js describes the interface). Everything goes through Coursehost's API v2
    (the SCORM Cloud API, Basic auth with an application's id and secret):

        importCourse   CreateUploadAndImportCourseJob, then GetImportJobStatus until it ends
        getLaunchUrl   CreateRegistration (its xapiRegistrationId is the cmi5 registration),
                       BuildRegistrationLaunchLink with startSco = the AU and, for Browse / Review,
                       additionalvalues [{item: "launchMode", value}]
        cleanup        DeleteCourse
        waiveAU        POST /api/v2/registrations/{id}/cmi5/waive      (Coursehost's own: no
        abandonSession POST /api/v2/cmi5/sessions/{sessionId}/abandon    SCORM Cloud operation)

    The launch link opens the player on the content origin, which answers with a redirect to the
    AU's launch URL (cmi5 §8.1), so the page the suite drives is the AU itself.

    Configuration (set by `python -m tests.conformance.cmi5`):
        COURSEHOST_API_URL        http://host:port/api/v2
        COURSEHOST_APP_ID, COURSEHOST_SECRET
        COURSEHOST_LRS_ENDPOINT   http://host:port/lrs/<appId>/
*/
"use strict";

const crypto = require("crypto"),
    Wreck = require("@hapi/wreck"),
    {InvalidPackageError} = require("./errors");

const created = {courses: [], registrations: []};
let api,
    lrsEndpoint,
    auth;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The error an API answer carried, for messages.
const why = (ex) => {
    if (ex && ex.isBoom && ex.data) {
        const body = ex.data.payload;
        const text = Buffer.isBuffer(body) ? body.toString() : JSON.stringify(body);

        return `${ex.output.statusCode} ${text}`;
    }

    return `${ex}`;
};

const readAll = async (stream) => {
    const chunks = [];

    for await (const chunk of stream) {
        chunks.push(chunk);
    }

    return Buffer.concat(chunks);
};

const multipart = (field, filename, contentType, data) => {
    const boundary = `----coursehost${crypto.randomBytes(12).toString("hex")}`,
        head = Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\n` +
            `Content-Type: ${contentType}\r\n\r\n`
        ),
        tail = Buffer.from(`\r\n--${boundary}--\r\n`);

    return {boundary, body: Buffer.concat([head, data, tail])};
};

// The AUs of a course in course-structure order (the leaves of its activity tree).
const auIds = (activity, out = []) => {
    const children = activity.children || [];

    if (children.length === 0) {
        if (activity.activityType === "SCO") {
            out.push(activity.externalIdentifier);
        }

        return out;
    }
    for (const child of children) {
        auIds(child, out);
    }

    return out;
};

module.exports = {
    setup: async () => {
        const appId = process.env.COURSEHOST_APP_ID,
            secret = process.env.COURSEHOST_SECRET;

        if (! process.env.COURSEHOST_API_URL || ! appId || ! secret) {
            throw new Error("COURSEHOST_API_URL, COURSEHOST_APP_ID and COURSEHOST_SECRET must be set");
        }
        auth = `Basic ${Buffer.from(`${appId}:${secret}`).toString("base64")}`;
        api = Wreck.defaults({
            baseUrl: process.env.COURSEHOST_API_URL.replace(/\/?$/, "/"),
            headers: {Authorization: auth},
            json: "force"
        });
        lrsEndpoint = (process.env.COURSEHOST_LRS_ENDPOINT || "").replace(/\/$/, "");
    },

    teardown: async () => {
        for (const registrationId of created.registrations.splice(0)) {
            try {
                await api.delete(`registrations/${encodeURIComponent(registrationId)}`);
            }
            catch (ex) {
                // the course's deletion may have taken it already
            }
        }
    },

    getLrsEndpoint: () => lrsEndpoint,

    getLrsAuthHeader: () => auth,

    importCourse: async (stream, contentType, filename) => {
        const courseId = `lts-${crypto.randomUUID()}`,
            data = await readAll(stream),
            {boundary, body} = multipart("file", filename, contentType, data);
        let jobId;

        try {
            const started = await api.post(
                `courses/importJobs/upload?courseId=${courseId}&mayCreateNewVersion=false`,
                {headers: {"Content-Type": `multipart/form-data; boundary=${boundary}`}, payload: body}
            );

            jobId = started.payload.result;
        }
        catch (ex) {
            if (ex.isBoom && ex.output.statusCode === 400) {
                throw new InvalidPackageError(`Invalid package (refused at upload): ${why(ex)}`);
            }
            throw new Error(`Failed import request: ${why(ex)}`);
        }

        for (let i = 0; i < 600; i += 1) {
            let status;

            try {
                status = (await api.get(`courses/importJobs/${jobId}`)).payload;
            }
            catch (ex) {
                throw new Error(`Failed import job status request: ${why(ex)}`);
            }
            if (status.status === "COMPLETE") {
                created.courses.push(courseId);

                return courseId;
            }
            if (status.status === "ERROR") {
                throw new InvalidPackageError(`Invalid package: ${status.message}`);
            }
            await sleep(100);
        }

        throw new Error(`Import job ${jobId} did not end`);
    },

    getLaunchUrl: async (courseId, auIndex, actor, {registration, launchMode} = {}) => {
        let course;

        try {
            course = (await api.get(`courses/${encodeURIComponent(courseId)}`)).payload;
        }
        catch (ex) {
            throw new Error(`Failed GetCourse: ${why(ex)}`);
        }

        const aus = auIds(course.rootActivity);

        if (auIndex >= aus.length) {
            throw new Error(`Course ${courseId} has no AU ${auIndex} (${aus.length} AUs)`);
        }

        let registrationId = registration;

        if (! registrationId) {
            registrationId = crypto.randomUUID();

            const learnerId = (actor.account && actor.account.name) || actor.mbox || "lts-learner";

            try {
                await api.post("registrations", {
                    payload: {
                        courseId,
                        registrationId,
                        xapiRegistrationId: registrationId,
                        learner: {id: learnerId, firstName: "CATAPULT", lastName: "LTS"}
                    }
                });
            }
            catch (ex) {
                throw new Error(`Failed CreateRegistration: ${why(ex)}`);
            }
            created.registrations.push(registrationId);
        }

        const request = {startSco: aus[auIndex]};

        if (launchMode) {
            request.additionalvalues = [{item: "launchMode", value: launchMode}];
        }

        try {
            const link = await api.post(`registrations/${encodeURIComponent(registrationId)}/launchLink`, {payload: request});

            return link.payload.launchLink;
        }
        catch (ex) {
            throw new Error(`Failed BuildRegistrationLaunchLink: ${why(ex)}`);
        }
    },

    cleanup: async () => {
        for (const courseId of created.courses.splice(0)) {
            try {
                await api.delete(`courses/${encodeURIComponent(courseId)}`);
            }
            catch (ex) {
                console.log(`Failed DeleteCourse ${courseId}: ${why(ex)}`);
            }
        }
    },

    hasWaive: () => true,

    waiveAU: async (registration, auIndex, reason) => {
        let auId;

        try {
            const reg = (await api.get(`registrations/${encodeURIComponent(registration)}`)).payload,
                course = (await api.get(`courses/${encodeURIComponent(reg.course.id)}`)).payload;

            auId = auIds(course.rootActivity)[auIndex];
        }
        catch (ex) {
            throw new Error(`Failed to find AU ${auIndex} of registration ${registration}: ${why(ex)}`);
        }
        try {
            await api.post(`registrations/${encodeURIComponent(registration)}/cmi5/waive`, {payload: {auId, reason}});
        }
        catch (ex) {
            throw new Error(`Failed waive AU request: ${why(ex)}`);
        }
    },

    hasAbandon: () => true,

    abandonSession: async (sessionId) => {
        try {
            await api.post(`cmi5/sessions/${encodeURIComponent(sessionId)}/abandon`, {payload: {}});
        }
        catch (ex) {
            throw new Error(`Failed abandon request: ${why(ex)}`);
        }
    }
};
