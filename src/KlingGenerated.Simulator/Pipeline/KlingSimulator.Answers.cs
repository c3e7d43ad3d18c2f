using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace KlingGenerated.Simulator;

/// <summary>Writing answers: the service's envelope, plain JSON, and the truncate and stall faults' broken answers.</summary>
public sealed partial class KlingSimulator
{
    /// <summary>Writes non-ASCII text as is, like the service, instead of \u escapes.</summary>
    internal static readonly System.Text.Json.JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static JsonObject Envelope(int code, string message, JsonNode? data = null) =>
        new() { ["code"] = code, ["msg"] = message, ["data"] = data };

    private static Task Write(HttpContext context, int status, JsonNode body, int? retryAfterSeconds = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (retryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString(Json));
        context.Response.ContentLength = bytes.Length;
        return context.Response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
    }

    /// <summary>The <c>truncate</c> and <c>stall</c> faults: the headers and half the body, then a closed connection or silence.</summary>
    private async Task WriteBrokenAsync(HttpContext context, Answer answer, bool stall)
    {
        var bytes = Encoding.UTF8.GetBytes(answer.Body.ToJsonString(Json));
        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        if (stall)
        {
            using var until = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            try
            {
                await Task.Delay(TimeSpan.FromMinutes(10), until.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        else
        {
            // Abort discards output Kestrel has not sent yet: give the half body time to leave, so the client sees a cut body, not a drop.
            await Task.Delay(200, _stopping.Token).ConfigureAwait(false);
        }

        context.Abort();
    }
}
