using System.Text;
using System.Text.Json.Nodes;
using KlingGenerated.OpenApi;
using Microsoft.AspNetCore.Http;

namespace KlingGenerated.Simulator;

/// <summary>The request pipeline every service endpoint goes through: the key, the fault, the body (capped), the schema, then the endpoint and the broken answers.</summary>
public sealed partial class KlingSimulator
{
    private async Task Handle(HttpContext context, Func<HttpContext, Caller, Task<Answer>> endpoint) => await Handle(context, endpoint, _options.MaxRequestBodyBytes).ConfigureAwait(false);

    /// <summary>The pipeline with its own body cap (the uploads take files); a multipart body is handed over as bytes, not text.</summary>
    private async Task Handle(HttpContext context, Func<HttpContext, Caller, Task<Answer>> endpoint, long maxBodyBytes)
    {
        Interlocked.Increment(ref _requests);

        // Authentication comes first: an unauthenticated request gets the 401 envelope, never a fault it asked for.
        if (Authenticate(context.Request) is not { } keyId)
        {
            await Write(context, 200, Envelope(401, "You do not have access permissions")).ConfigureAwait(false);
            return;
        }

        SimulatorFault fault;
        try
        {
            fault = SimulatorFault.Parse(context.Request.Headers[SimulatorFault.Header].FirstOrDefault() ?? _fault ?? RandomFault());
            if (fault != SimulatorFault.None)
            {
                Interlocked.Increment(ref _faultsInjected);
            }
        }
        catch (FormatException exception)
        {
            await Write(context, 200, Envelope(422, exception.Message)).ConfigureAwait(false);
            return;
        }

        if (fault.Delay > TimeSpan.Zero)
        {
            await Task.Delay(fault.Delay, _options.TimeProvider, context.RequestAborted).ConfigureAwait(false);
        }

        if (fault.Drop && !fault.AfterCreate)
        {
            context.Abort();
            return;
        }

        if (fault.Answer is { } documented)
        {
            await documented.WriteAsync(context).ConfigureAwait(false);
            return;
        }

        if (fault.Maintenance)
        {
            await Write(context, 200, Envelope(455, "Service unavailable, system maintenance in progress (simulated).")).ConfigureAwait(false);
            return;
        }

        if (fault.ServerError && !fault.AfterCreate)
        {
            await Write(context, 500, Envelope(500, "Internal server error (simulated).")).ConfigureAwait(false);
            return;
        }

        if (fault.RateLimited)
        {
            context.Response.Headers.RetryAfter = "1";
            await Write(context, 429, Envelope(429, "The request frequency is too high, please try again later (simulated).")).ConfigureAwait(false);
            return;
        }

        // Read the body once, and at most MaxRequestBodyBytes of it: the validator reads its bytes, the endpoints its text.
        var bytes = await ReadBodyAsync(context, maxBodyBytes).ConfigureAwait(false);
        if (bytes is null)
        {
            // HTTP 413 is an "UnexpectedStatus" of the document; its body carries a code the document lists (422: nothing was created).
            await Write(context, 413, Envelope(422, $"The request body is larger than {maxBodyBytes} bytes; a createTask request is a few KiB.")).ConfigureAwait(false);
            return;
        }

        if (context.Request.HasFormContentType)
        {
            var formProblems = KlingOpenApiContract.ValidateRequest(context.Request.Method, context.Request.Path.Value!.TrimStart('/'), null);
            var formAnswer = formProblems.Count > 0
                ? new Answer(200, Envelope(422, formProblems[0]))
                : await endpoint(context, new Caller(keyId, null, fault, bytes)).ConfigureAwait(false);
            await Write(context, formAnswer.Status, formAnswer.Body, formAnswer.RetryAfter).ConfigureAwait(false);
            return;
        }

        // A strict parser refuses an object with a key twice; System.Text.Json's JsonNode would throw later, after the charge.
        if (bytes.Length > 0 && StrictJson.FindDuplicateKey(bytes.GetBuffer().AsSpan(0, (int)bytes.Length)) is { } duplicate)
        {
            await Write(context, 200, Envelope(422, $"The request has the key '{duplicate}' more than once; each key of a JSON object must be unique.")).ConfigureAwait(false);
            return;
        }

        var body = bytes.Length == 0 ? null : Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length);
        var problems = KlingOpenApiContract.ValidateRequest(context.Request.Method, context.Request.Path.Value!.TrimStart('/') + context.Request.QueryString.Value, bytes);
        if (problems.Count > 0)
        {
            await Write(context, 200, Envelope(422, problems[0])).ConfigureAwait(false);
            return;
        }

        var answer = await endpoint(context, new Caller(keyId, body, fault)).ConfigureAwait(false);
        if (fault.AfterCreate && fault.Drop)
        {
            context.Abort();
            return;
        }

        if (fault.AfterCreate && fault.ServerError)
        {
            answer = new Answer(500, Envelope(500, "Internal server error (simulated, after the task was created)."));
        }

        if (fault.Truncate || fault.Stall)
        {
            await WriteBrokenAsync(context, answer, fault.Stall).ConfigureAwait(false);
            return;
        }

        await Write(context, answer.Status, answer.Body, answer.RetryAfter).ConfigureAwait(false);
    }

    /// <summary>The body, or null when it is larger than the cap (then it is not read further).</summary>
    private async Task<MemoryStream?> ReadBodyAsync(HttpContext context, long maxBodyBytes)
    {
        var bytes = new MemoryStream();
        if (context.Request.ContentLength > maxBodyBytes)
        {
            return null;
        }

        if (context.Request.ContentLength is > 0 || context.Request.Method == "POST")
        {
            var buffer = new byte[16 * 1024];
            try
            {
                int read;
                while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
                {
                    if (bytes.Length + read > maxBodyBytes)
                    {
                        return null;
                    }

                    bytes.Write(buffer, 0, read);
                }
            }
            catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return null;
            }

            bytes.Position = 0;
        }

        return bytes;
    }

    private sealed record Caller(string KeyId, string? Body, SimulatorFault Fault, MemoryStream? Raw = null);

    private sealed record Answer(int Status, JsonObject Body, int? RetryAfter = null);
}
