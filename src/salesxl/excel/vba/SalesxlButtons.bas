Attribute VB_Name = "SalesxlButtons"
' salesxl - the buttons of the control sheet of the office workbook.
'
' Each button runs its own Sub; each Sub runs one salesxl entry point with xlwings' RunPython
' (the "xlwings" module of this workbook, settings on the "xlwings.conf" sheet).  The Python
' side finds this workbook with xlwings.Book.caller(), reads the named cells salesxl_as_of and
' salesxl_month, and reports in salesxl_status.
'
' Generated: this text comes from src/salesxl/excel/vba/SalesxlButtons.bas in the salesxl
' repository; edit it there and rebuild with "salesxl template office".  Keep it ASCII: the
' project is stored in code page 1252.
Option Explicit

Public Sub Salesxl_Validate()
    Busy "validate"
    RunPython "import salesxl.excel.buttons as b; b.validate()"
    Done
End Sub

Public Sub Salesxl_Classify()
    Busy "classify"
    RunPython "import salesxl.excel.buttons as b; b.classify()"
    Done
End Sub

Public Sub Salesxl_Offset()
    Busy "offset"
    RunPython "import salesxl.excel.buttons as b; b.offset()"
    Done
End Sub

Public Sub Salesxl_Summary()
    Busy "summary"
    RunPython "import salesxl.excel.buttons as b; b.summary()"
    Done
End Sub

Public Sub Salesxl_Statements()
    Busy "statements"
    RunPython "import salesxl.excel.buttons as b; b.statements()"
    Done
End Sub

Public Sub Salesxl_Stock()
    Busy "stock"
    RunPython "import salesxl.excel.buttons as b; b.stock()"
    Done
End Sub

Public Sub Salesxl_Prices()
    Busy "prices"
    RunPython "import salesxl.excel.buttons as b; b.prices()"
    Done
End Sub

Public Sub Salesxl_Contracts()
    Busy "contracts"
    RunPython "import salesxl.excel.buttons as b; b.contracts()"
    Done
End Sub

Public Sub Salesxl_Weekly()
    Busy "weekly"
    RunPython "import salesxl.excel.buttons as b; b.weekly()"
    Done
End Sub

Public Sub Salesxl_Cards()
    Busy "cards"
    RunPython "import salesxl.excel.buttons as b; b.cards()"
    Done
End Sub

Public Sub Salesxl_Forecast()
    Busy "forecast"
    RunPython "import salesxl.excel.buttons as b; b.forecast()"
    Done
End Sub

Public Sub Salesxl_ImportFunctions()
    ' Imports the worksheet functions of the "UDF Modules" setting (Windows only; needs
    ' "Trust access to the VBA project object model" in the Trust Center).
    ImportPythonUDFs
End Sub

Private Sub Busy(ByVal action As String)
    ' Python may take a few seconds: say so, since Excel waits for it without a sign.  (Only
    ' the status bar: a changed cursor would outlive a run that stops with an error.)
    Application.StatusBar = "salesxl: " & action & " ..."
End Sub

Private Sub Done()
    Application.StatusBar = False
End Sub
