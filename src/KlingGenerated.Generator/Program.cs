using KlingGenerated.Generator;

// Usage: KlingGenerated.Generator <openapi document> <output .cs>. Writes the file only when its text changes.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: KlingGenerated.Generator <kling.openapi.yaml> <KlingOutcomeTable.g.cs>");
    return 2;
}

try
{
    var source = OutcomeTableGenerator.Generate(File.ReadAllText(args[0]), Path.GetFileName(args[0]));
    if (!File.Exists(args[1]) || File.ReadAllText(args[1]) != source)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[1]))!);
        File.WriteAllText(args[1], source);
    }

    return 0;
}
catch (InvalidDataException exception)
{
    // MSBuild shows "error:" lines as build errors, naming the document.
    Console.Error.WriteLine($"{args[0]}: error KLING001: {exception.Message}");
    return 1;
}
