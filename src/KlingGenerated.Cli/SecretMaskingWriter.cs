using System.Text;

namespace KlingGenerated.Cli;

/// <summary>
/// The CLI's stdout and stderr: every string written passes <see cref="KlingSecrets.Mask"/>, so an API key a hostile
/// service echoed (in a task id, failCode, failMsg or any field --json prints) never reaches the terminal or a script.
/// </summary>
// Messages are masked where they are made too (TerminalText.Safe); this writer also covers JSON copied from answers.
internal sealed class SecretMaskingWriter(TextWriter inner) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => inner.FormatProvider;

    public override string NewLine
    {
        get => inner.NewLine;
#pragma warning disable CS8765 // TextWriter.NewLine's setter accepts null
        set => inner.NewLine = value;
#pragma warning restore CS8765
    }

    /// <summary>The writer wrapped once: a writer already masking is returned as is.</summary>
    public static TextWriter Wrap(TextWriter writer) => writer as SecretMaskingWriter ?? new SecretMaskingWriter(writer);

    public override void Write(char value) => inner.Write(value);

    public override void Write(string? value) => inner.Write(KlingSecrets.Mask(value));

    public override void Write(char[] buffer, int index, int count) => inner.Write(KlingSecrets.Mask(new string(buffer, index, count)));

    public override void WriteLine(string? value) => inner.WriteLine(KlingSecrets.Mask(value));

    public override Task WriteAsync(string? value) => inner.WriteAsync(KlingSecrets.Mask(value));

    public override Task WriteLineAsync(string? value) => inner.WriteLineAsync(KlingSecrets.Mask(value));

    public override Task WriteAsync(char[] buffer, int index, int count) => inner.WriteAsync(KlingSecrets.Mask(new string(buffer, index, count)));

    public override Task WriteLineAsync(char[] buffer, int index, int count) => inner.WriteLineAsync(KlingSecrets.Mask(new string(buffer, index, count)));

    public override void Flush() => inner.Flush();

    public override Task FlushAsync() => inner.FlushAsync();
}
