using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace KlingGenerated.Simulator;

/// <summary>
/// An answer openapi/kling.openapi.yaml lists that a working simulator would never give on its own: an error code inside
/// HTTP 200, an HTTP error status with the error envelope, and the edge's non-JSON bodies. Chosen with a fault
/// (<see cref="SimulatorFault"/>), so every documented answer can be reproduced by a port's tests.
/// </summary>
public sealed record DocumentedAnswer(string Name, int HttpStatus, string ContentType, string Body)
{
    /// <summary>The messages of the document's examples (components/examples), by code; other codes get a generic one.</summary>
    private static readonly Dictionary<int, string> Messages = new()
    {
        [400] = "taskId parameter is required",
        [401] = "You do not have access permissions",
        [402] = "Credits insufficient",
        [404] = "Not found",
        [408] = "Upstream gave no result for over 10 minutes",
        [422] = "Please enter callBackUrl.",
        [429] = "The request frequency is too high, please try again later.",
        [433] = "Sub-key usage exceeds the limit",
        [455] = "Service unavailable, system maintenance in progress",
        [500] = "Internal server error",
        [501] = "Generation failed",
        [505] = "The feature is disabled",
        [550] = "Connection denied",
    };

    /// <summary>The fault names this type answers, for help texts.</summary>
    public const string Names = "code:NNN, status:NNN, edge-1010, html-502, empty-503, legacy-message";

    /// <summary>The answer a fault name stands for, or null when the name is not one of these.</summary>
    /// <exception cref="FormatException">code:NNN or status:NNN with a number that is not a code (100-599).</exception>
    public static DocumentedAnswer? TryParse(string name)
    {
        if (name.StartsWith("code:", StringComparison.Ordinal) || name.StartsWith("status:", StringComparison.Ordinal))
        {
            var byStatus = name[0] == 's';
            var number = name[(name.IndexOf(':', StringComparison.Ordinal) + 1)..];
            if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code is < 100 or > 599 || (byStatus && code is < 400))
            {
                throw new FormatException($"The simulator fault '{name}' needs {(byStatus ? "an HTTP error status from 400 to 599" : "a code from 100 to 599")}, such as {(byStatus ? "status:401" : "code:402")}.");
            }

            return new DocumentedAnswer(name, byStatus ? code : 200, "application/json", Envelope(code, Messages.GetValueOrDefault(code, $"Simulated code {code}")));
        }

        return name switch
        {
            "edge-1010" => new DocumentedAnswer(name, 403, "text/plain", "error code: 1010"),
            "html-502" => new DocumentedAnswer(name, 502, "text/html", "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>"),
            "empty-503" => new DocumentedAnswer(name, 503, "text/plain", string.Empty),
            "legacy-message" => new DocumentedAnswer(name, 200, "application/json", "{\"code\":401,\"message\":\"Invalid API key\",\"data\":null}"),
            _ => null,
        };
    }

    /// <summary>Sends this answer.</summary>
    public Task WriteAsync(HttpContext context)
    {
        var bytes = Encoding.UTF8.GetBytes(Body);
        context.Response.StatusCode = HttpStatus;
        context.Response.ContentType = ContentType;
        context.Response.ContentLength = bytes.Length;
        return context.Response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
    }

    private static string Envelope(int code, string message) =>
        $"{{\"code\":{code.ToString(CultureInfo.InvariantCulture)},\"msg\":{System.Text.Json.JsonSerializer.Serialize(message)},\"data\":null}}";
}
