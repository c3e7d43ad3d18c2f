using Spectre.Console;

namespace KlingGenerated.Cli;

/// <summary>What stderr is: a live terminal (one line redrawn in place, within its width) or a log (one line per change).</summary>
/// <param name="Live">Redraw one line in place.</param>
/// <param name="Ansi">The terminal understands ANSI escapes (colour, clear to the end of the line).</param>
/// <param name="Width">The terminal's width in columns, asked at every redraw (it can change).</param>
/// <param name="Time">The clock of the elapsed time and its once-a-second tick.</param>
internal sealed record CliTerminal(bool Live, bool Ansi, Func<int> Width, TimeProvider Time)
{
    /// <summary>The process's real stderr.</summary>
    public static CliTerminal ForStandardError()
    {
        var live = !System.Console.IsErrorRedirected;
        // Spectre's detection (TERM, NO_COLOR, the platform) for stderr itself: stdout may be redirected to a file.
        var ansi = live && AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) }).Profile.Capabilities.Ansi;
        return new CliTerminal(live, ansi, () => WindowWidth(), TimeProvider.System);
    }

    /// <summary>A Spectre console writing to <paramref name="writer"/> with this terminal's capabilities.</summary>
    public IAnsiConsole CreateConsole(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = Ansi ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = Ansi ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = Live ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = Math.Max(Width(), 20);
        return console;
    }

    private static int WindowWidth()
    {
        try
        {
            return System.Console.WindowWidth is > 0 and var width ? width : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }
}
