using System.Runtime.InteropServices;

namespace Cascade.Peers.Bench;

/// <summary>
/// LightGBM's C API (lib_lightgbm from the LightGBM NuGet package), called directly: the peer as its authors ship it,
/// with no ML.NET data view between it and the arrays.
/// </summary>
internal static partial class LightGbmNative
{
    private const string Library = "lib_lightgbm";
    private const int Float32 = 0;

    /// <summary>Builds the dataset (binning included) and runs <paramref name="rounds"/> boosting rounds.</summary>
    public static IntPtr Train(float[] features, float[] labels, int rows, int columns, string datasetParameters, string boosterParameters, int rounds)
    {
        Check(DatasetCreateFromMat(features, Float32, rows, columns, 1, datasetParameters, IntPtr.Zero, out IntPtr dataset));
        try
        {
            Check(DatasetSetField(dataset, "label", labels, rows, Float32));
            Check(BoosterCreate(dataset, boosterParameters, out IntPtr booster));
            for (int i = 0; i < rounds; i++)
            {
                Check(BoosterUpdateOneIter(booster, out int finished));
                if (finished != 0)
                {
                    break;
                }
            }
            return booster;
        }
        finally
        {
            Check(DatasetFree(dataset));
        }
    }

    /// <summary>Probabilities of every row.</summary>
    public static float[] Predict(IntPtr booster, float[] features, int rows, int columns, string parameters)
    {
        var result = new double[rows];
        Check(BoosterPredictForMat(booster, features, Float32, rows, columns, 1, 0, 0, -1, parameters, out long length, result));
        if (length != rows)
        {
            throw new InvalidOperationException($"LightGBM predicted {length} values for {rows} rows.");
        }
        return [.. result.Select(v => (float)v)];
    }

    public static void Free(IntPtr booster) => Check(BoosterFree(booster));

    private static void Check(int status)
    {
        if (status != 0)
        {
            throw new InvalidOperationException("LightGBM: " + Marshal.PtrToStringAnsi(GetLastError()));
        }
    }

    [LibraryImport(Library, EntryPoint = "LGBM_GetLastError")]
    private static partial IntPtr GetLastError();

    [LibraryImport(Library, EntryPoint = "LGBM_DatasetCreateFromMat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int DatasetCreateFromMat(float[] data, int dataType, int rows, int columns, int rowMajor, string parameters, IntPtr reference, out IntPtr dataset);

    [LibraryImport(Library, EntryPoint = "LGBM_DatasetSetField", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int DatasetSetField(IntPtr dataset, string field, float[] data, int count, int type);

    [LibraryImport(Library, EntryPoint = "LGBM_DatasetFree")]
    private static partial int DatasetFree(IntPtr dataset);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterCreate", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int BoosterCreate(IntPtr dataset, string parameters, out IntPtr booster);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterUpdateOneIter")]
    private static partial int BoosterUpdateOneIter(IntPtr booster, out int finished);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterPredictForMat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int BoosterPredictForMat(IntPtr booster, float[] data, int dataType, int rows, int columns, int rowMajor, int predictType,
        int startIteration, int iterations, string parameters, out long length, [Out] double[] result);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterFree")]
    private static partial int BoosterFree(IntPtr booster);
}
