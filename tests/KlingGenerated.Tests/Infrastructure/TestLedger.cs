using System.Runtime.CompilerServices;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>Keeps every `kling` run of the test suite, in process or not, away from the user's own task ledger.</summary>
internal static class TestLedger
{
    [ModuleInitializer]
    internal static void UseATemporaryLedger()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KLING_LEDGER")))
        {
            Environment.SetEnvironmentVariable("KLING_LEDGER", Path.Combine(Path.GetTempPath(), $"kling-tests-{Environment.ProcessId}", "tasks.db"));
        }
    }
}
