using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace GrpcSync.Cli.Output;

/// <summary>
/// Writes a command's answer on stdout in the chosen format: JSON (the REST shape, see <see cref="RestJson"/>;
/// indented for one answer, one compact line per message for streams) or Spectre.Console tables.
/// </summary>
public sealed class Printer
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public Printer(OutputFormat format, bool stdoutIsTerminal)
    {
        Format = format;
        IsTerminal = stdoutIsTerminal;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(System.Console.Out),
            Ansi = stdoutIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = stdoutIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = stdoutIsTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!stdoutIsTerminal)
        {
            // No terminal to fit: never wrap a cell (ids are 36 characters).
            Console.Profile.Width = 1000;
        }
    }

    public OutputFormat Format { get; }

    /// <summary>Stdout is a terminal (live displays, progress bars); otherwise plain lines.</summary>
    public bool IsTerminal { get; }

    /// <summary>The Spectre console on stdout.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>One answer: indented JSON, or a two-column table of its fields.</summary>
    public void Show(IMessage message)
    {
        var json = RestJson.ToNode(message);
        if (Format == OutputFormat.Json)
        {
            System.Console.Out.WriteLine(json.ToJsonString(Indented));
            return;
        }
        Console.Write(Fields(json.AsObject()));
    }

    /// <summary>A list answer: JSON as is, or a table of <paramref name="items"/> with a footer (the next page).</summary>
    public void ShowList(IMessage response, string items, IReadOnlyList<Column> columns, string? footer = null)
    {
        var json = RestJson.ToNode(response);
        if (Format == OutputFormat.Json)
        {
            System.Console.Out.WriteLine(json.ToJsonString(Indented));
            return;
        }
        var rows = JsonText.At(json, items) as JsonArray ?? [];
        Console.Write(Table(rows, columns, Console.Profile.Width));
        if (footer is not null)
        {
            Console.WriteLine(footer);
        }
    }

    /// <summary>One message of a stream: one compact JSON line, or <paramref name="text"/> for people.</summary>
    public void Line(IMessage message, string text)
    {
        if (Format == OutputFormat.Json)
        {
            System.Console.Out.WriteLine(RestJson.ToNode(message).ToJsonString());
        }
        else
        {
            Console.Write(new Text(text + Environment.NewLine));
        }
        System.Console.Out.Flush();
    }

    /// <summary>
    /// The rows under the columns that fit <paramref name="width"/> (see <see cref="TableFit"/>); the caption names
    /// any left out, which <c>--output json</c> or a wider terminal shows.
    /// </summary>
    public static Table Table(JsonArray rows, IReadOnlyList<Column> columns, int width)
    {
        IReadOnlyList<IReadOnlyList<string>> cells = [.. rows.Select(row => (IReadOnlyList<string>)[.. columns.Select(c => JsonText.Cell(JsonText.At(row, c.Path)))])];
        var shown = TableFit.Choose(columns, cells, width);
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var i in shown)
        {
            var column = new TableColumn(new Text(columns[i].Header));
            table.AddColumn(columns[i].Wraps ? column : column.NoWrap());
        }
        foreach (var row in cells)
        {
            table.AddRow(shown.Select(i => (IRenderable)new Text(row[i])));
        }
        var hidden = Enumerable.Range(0, columns.Count).Except(shown).Select(i => columns[i].Header).ToArray();
        if (rows.Count == 0)
        {
            table.Caption("(none)");
        }
        else if (hidden.Length > 0)
        {
            table.Caption(Markup.Escape($"not shown at {width} columns: {string.Join(", ", hidden)} (see -o json)"));
        }
        return table;
    }

    /// <summary>An object's fields, nested ones flattened (<c>summary.totalRecords</c>), one per row.</summary>
    public static Table Fields(JsonObject json)
    {
        var table = new Table().Border(TableBorder.Rounded).HideHeaders();
        table.AddColumn(new TableColumn(new Text("field")).NoWrap());
        table.AddColumn(new TableColumn(new Text("value")));
        foreach (var (path, text) in JsonText.Flatten(json))
        {
            table.AddRow(new Text(path), new Text(text));
        }
        return table;
    }
}
