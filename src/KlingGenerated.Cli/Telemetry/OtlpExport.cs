using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace KlingGenerated.Cli.Telemetry;

/// <summary>
/// Exports the library's traces and metrics over OTLP, only when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is
/// set (the protocol, headers and timeout come from the standard OTEL_* variables, read by the SDK). Without it no
/// OpenTelemetry type is touched: <see cref="StartIfAsked"/> mentions none, and <see cref="Start"/>, which does, is
/// never compiled or run, so start-up loads no SDK assembly.
/// </summary>
internal static class OtlpExport
{
    /// <summary>The CLI's own source: one root span per command, so a command's calls share one trace.</summary>
    internal const string CliSourceName = "KlingGenerated.Cli";

    private static readonly string[] Commands = ["generate", "status", "credits", "tasks", "wait", "download", "batch", "simulator"];

    /// <summary>Starts the export when the variable is set; disposing flushes and stops it. Null otherwise.</summary>
    public static IDisposable? StartIfAsked(string[] args) =>
        string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")) ? null : Start(args);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IDisposable Start(string[] args)
    {
        var version = typeof(OtlpExport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];
        var resource = ResourceBuilder.CreateDefault().AddService("kling", serviceVersion: version);
        var tracer = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource("KlingGenerated*").AddOtlpExporter().Build()!;
        var meter = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter("KlingGenerated*").AddOtlpExporter().Build()!;

        // Only the command's name is recorded, never its arguments (a prompt, or a key given with --api-key).
        var command = args.FirstOrDefault(arg => Commands.Contains(arg, StringComparer.Ordinal)) ?? "kling";
        var source = new ActivitySource(CliSourceName);
        var root = source.StartActivity($"kling {command}", ActivityKind.Internal);
        return new Export(root, source, tracer, meter);
    }

    private sealed class Export(Activity? root, ActivitySource source, TracerProvider tracer, MeterProvider meter) : IDisposable
    {
        public void Dispose()
        {
            root?.Dispose();
            source.Dispose();
            tracer.Dispose(); // flushes what is left, within the exporter's own timeout
            meter.Dispose();
        }
    }
}
