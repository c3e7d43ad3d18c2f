using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace KlingGenerated.Tests.Telemetry;

/// <summary>
/// A loopback OTLP/HTTP receiver (protobuf): it accepts POST /v1/traces and /v1/metrics on 127.0.0.1 and reads the
/// names out of the payloads with a minimal protobuf reader (field numbers from opentelemetry-proto).
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<(string Path, string ContentType, byte[] Body)> Requests { get; } = new();

    public Uri Endpoint => new(_app.Urls.Single());

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            receiver.Requests.Enqueue((context.Request.Path, context.Request.ContentType ?? string.Empty, body.ToArray()));
            context.Response.ContentType = "application/x-protobuf";
            return Results.Bytes([], "application/x-protobuf");
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Every span in the trace exports: (scope name, span name, attribute keys).</summary>
    public IReadOnlyList<(string Scope, string Span, IReadOnlyList<string> Attributes)> Spans() =>
        [.. Requests.Where(r => r.Path == "/v1/traces").SelectMany(r =>
            from resourceSpans in Protobuf.Messages(r.Body, 1)
            from scopeSpans in Protobuf.Messages(resourceSpans, 2)
            let scope = Protobuf.Messages(scopeSpans, 1).Select(s => Protobuf.String(s, 1)).FirstOrDefault() ?? string.Empty
            from span in Protobuf.Messages(scopeSpans, 2)
            select (scope, Protobuf.String(span, 5) ?? string.Empty, (IReadOnlyList<string>)[.. Protobuf.Messages(span, 9).Select(kv => Protobuf.String(kv, 1) ?? string.Empty)]))];

    /// <summary>Every metric name in the metric exports.</summary>
    public IReadOnlyList<string> MetricNames() =>
        [.. Requests.Where(r => r.Path == "/v1/metrics").SelectMany(r =>
            from resourceMetrics in Protobuf.Messages(r.Body, 1)
            from scopeMetrics in Protobuf.Messages(resourceMetrics, 2)
            from metric in Protobuf.Messages(scopeMetrics, 2)
            select Protobuf.String(metric, 1) ?? string.Empty)];

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>Just enough of the protobuf wire format to walk length-delimited fields.</summary>
    private static class Protobuf
    {
        public static IEnumerable<byte[]> Messages(byte[] message, int field)
        {
            var position = 0;
            while (position < message.Length)
            {
                var key = Varint(message, ref position);
                var (number, wire) = ((int)(key >> 3), (int)(key & 7));
                switch (wire)
                {
                    case 0:
                        Varint(message, ref position);
                        break;
                    case 1:
                        position += 8;
                        break;
                    case 5:
                        position += 4;
                        break;
                    case 2:
                        var length = (int)Varint(message, ref position);
                        if (number == field)
                        {
                            yield return message[position..(position + length)];
                        }

                        position += length;
                        break;
                    default:
                        throw new FormatException($"Unexpected wire type {wire}.");
                }
            }
        }

        public static string? String(byte[] message, int field) =>
            Messages(message, field).Select(bytes => System.Text.Encoding.UTF8.GetString(bytes)).FirstOrDefault();

        private static ulong Varint(byte[] buffer, ref int position)
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = buffer[position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
        }
    }
}
